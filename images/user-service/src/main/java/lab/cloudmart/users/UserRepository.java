package lab.cloudmart.users;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.stereotype.Repository;

/** The users table in PostgreSQL. */
@Repository
public class UserRepository {

    /** A stored user with the hash that login checks. */
    public record Credentials(long id, String passwordHash) {}

    private static final String COLUMNS = "id, email, name, created_at";
    private static final RowMapper<User> USER = UserRepository::user;

    private final JdbcTemplate jdbc;

    public UserRepository(JdbcTemplate jdbc) {
        this.jdbc = jdbc;
    }

    /** The new user, or empty when the email is taken (the unique index decides, race-free). */
    public Optional<User> insert(String email, String name, String passwordHash) {
        return jdbc.query(
                        "INSERT INTO users (email, name, password_hash) VALUES (?, ?, ?) "
                                + "ON CONFLICT (email) DO NOTHING RETURNING " + COLUMNS,
                        USER, email, name, passwordHash)
                .stream()
                .findFirst();
    }

    public Optional<User> findById(long id) {
        return jdbc.query("SELECT " + COLUMNS + " FROM users WHERE id = ?", USER, id).stream().findFirst();
    }

    public List<User> list(int limit, int offset) {
        return jdbc.query("SELECT " + COLUMNS + " FROM users ORDER BY id LIMIT ? OFFSET ?", USER, limit, offset);
    }

    public Optional<Credentials> credentials(String email) {
        return jdbc.query(
                        "SELECT id, password_hash FROM users WHERE email = ?",
                        (rs, n) -> new Credentials(rs.getLong("id"), rs.getString("password_hash")),
                        email)
                .stream()
                .findFirst();
    }

    public List<String> existingEmails(List<String> emails) {
        return jdbc.queryForList("SELECT email FROM users WHERE email = ANY (?)", String.class,
                (Object) emails.toArray(String[]::new));
    }

    private static User user(ResultSet rs, int row) throws SQLException {
        return new User(rs.getLong("id"), rs.getString("email"), rs.getString("name"),
                rs.getObject("created_at", OffsetDateTime.class));
    }
}
