package lab.cloudmart.users;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/** The login token: a JWT signed with HS256 (TOKEN_SECRET), so any service can check it offline. */
@Component
public class TokenIssuer {

    private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
    private static final String HEADER = B64.encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    private final SecretKeySpec key;
    private final Duration ttl;
    private final ObjectMapper json;

    public TokenIssuer(@Value("${cloudmart.token.secret:}") String secret,
            @Value("${cloudmart.token.ttl:1h}") Duration ttl, ObjectMapper json) {
        byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
        if (secret.isBlank()) {
            // Tokens then differ per replica; the lab's services do not check them, so that is a warning.
            LoggerFactory.getLogger(TokenIssuer.class).warn("TOKEN_SECRET is not set; signing tokens with a random key");
            bytes = new byte[32];
            new SecureRandom().nextBytes(bytes);
        }
        this.key = new SecretKeySpec(bytes, "HmacSHA256");
        this.ttl = ttl;
        this.json = json;
    }

    public String issue(long userId, String email) {
        Instant now = Instant.now();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("sub", Long.toString(userId));
        claims.put("email", email);
        claims.put("iss", JsonLogFormatter.SERVICE);
        claims.put("iat", now.getEpochSecond());
        claims.put("exp", now.plus(ttl).getEpochSecond());
        try {
            String unsigned = HEADER + "." + B64.encodeToString(json.writeValueAsBytes(claims));
            return unsigned + "." + B64.encodeToString(sign(unsigned));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("token claims not serializable", e);
        }
    }

    private byte[] sign(String data) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(key);
            return mac.doFinal(data.getBytes(StandardCharsets.UTF_8));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }
}
