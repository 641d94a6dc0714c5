package lab.cloudmart.users;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.time.OffsetDateTime;

/** A user as the API shows it: never the password hash. */
public record User(long id, String email, String name, @JsonProperty("created_at") OffsetDateTime createdAt) {}
