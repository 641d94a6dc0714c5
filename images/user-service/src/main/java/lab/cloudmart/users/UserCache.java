package lab.cloudmart.users;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.stereotype.Component;

/**
 * GET /users/{id} answers from Redis for the TTL (60 s). The cache is best effort: with Redis
 * down a read goes to PostgreSQL and the failure is logged, so users can still log in and buy.
 */
@Component
public class UserCache {

    private static final Logger LOG = LoggerFactory.getLogger(UserCache.class);

    private final StringRedisTemplate redis;
    private final ObjectMapper json;
    private final Duration ttl;

    public UserCache(StringRedisTemplate redis, ObjectMapper json,
            @Value("${cloudmart.cache.user-ttl:60s}") Duration ttl) {
        this.redis = redis;
        this.json = json;
        this.ttl = ttl;
    }

    static String key(long id) {
        return "user-service:user:" + id;
    }

    public Optional<User> get(long id) {
        try {
            String cached = redis.opsForValue().get(key(id));
            return cached == null ? Optional.empty() : Optional.of(json.readValue(cached, User.class));
        } catch (JsonProcessingException e) {
            LOG.atWarn().addKeyValue("key", key(id)).log("unreadable cache entry ignored");
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.atWarn().addKeyValue("error", String.valueOf(e.getMessage())).log("redis read failed; reading PostgreSQL");
            return Optional.empty();
        }
    }

    public void put(User user) {
        try {
            redis.opsForValue().set(key(user.id()), json.writeValueAsString(user), ttl);
        } catch (JsonProcessingException | RuntimeException e) {
            LOG.atWarn().addKeyValue("error", String.valueOf(e.getMessage())).log("redis write failed; not cached");
        }
    }
}
