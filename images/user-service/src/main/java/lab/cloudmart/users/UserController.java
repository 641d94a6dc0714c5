package lab.cloudmart.users;

import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** Registration, login and user reads. */
@RestController
public class UserController {

    public record Registration(String email, String name, String password) {}

    public record Login(String email, String password) {}

    private static final Logger LOG = LoggerFactory.getLogger(UserController.class);
    private static final Pattern EMAIL = Pattern.compile("[^@\\s]+@[^@\\s]+");
    // BCrypt reads at most 72 bytes; longer passwords are refused rather than silently cut.
    private static final int MAX_PASSWORD_BYTES = 72;

    private final UserRepository users;
    private final UserCache cache;
    private final PasswordEncoder passwords;
    private final TokenIssuer tokens;
    // Compared against when the email is unknown, so a miss costs as long as a wrong password.
    private final String unknownUserHash;

    public UserController(UserRepository users, UserCache cache, PasswordEncoder passwords, TokenIssuer tokens) {
        this.users = users;
        this.cache = cache;
        this.passwords = passwords;
        this.tokens = tokens;
        this.unknownUserHash = passwords.encode("no such user");
    }

    /** The email as stored: trimmed and lower-cased, or null when it is not an address. */
    static String normalizeEmail(String email) {
        if (email == null) {
            return null;
        }
        String normalized = email.trim().toLowerCase(Locale.ROOT);
        return normalized.length() <= 254 && EMAIL.matcher(normalized).matches() ? normalized : null;
    }

    @PostMapping("/users")
    public ResponseEntity<User> register(HttpServletRequest request) {
        Registration body = JsonBody.read(request, Registration.class);
        String email = normalizeEmail(body.email());
        if (email == null) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "email must be an email address");
        }
        String name = body.name() == null ? "" : body.name().trim();
        if (name.isEmpty() || name.length() > 200) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "name must be 1 to 200 characters");
        }
        String password = body.password();
        if (password == null || password.isEmpty() || password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "password must be 1 to 72 bytes");
        }
        User user = users.insert(email, name, passwords.encode(password))
                .orElseThrow(() -> new ApiException(HttpStatus.CONFLICT, "email already registered"));
        LOG.atInfo().addKeyValue("user_id", user.id()).log("user registered");
        return ResponseEntity.created(URI.create("/users/" + user.id())).body(user);
    }

    @PostMapping("/login")
    public Map<String, Object> login(HttpServletRequest request) {
        Login body = JsonBody.read(request, Login.class);
        String email = normalizeEmail(body.email());
        String password = body.password() == null ? "" : body.password();
        Optional<UserRepository.Credentials> found = email == null ? Optional.empty() : users.credentials(email);
        boolean ok = passwords.matches(password, found.map(UserRepository.Credentials::passwordHash).orElse(unknownUserHash))
                && found.isPresent();
        if (!ok) {
            LOG.atInfo().addKeyValue("reason", found.isPresent() ? "wrong password" : "unknown email").log("login refused");
            throw new ApiException(HttpStatus.UNAUTHORIZED, "invalid email or password");
        }
        long id = found.get().id();
        return Map.of("user_id", id, "token", tokens.issue(id, email));
    }

    @GetMapping("/users/{id}")
    public ResponseEntity<User> get(@PathVariable long id) {
        Optional<User> cached = cache.get(id);
        if (cached.isPresent()) {
            return ResponseEntity.ok().header("X-Cache", "hit").body(cached.get());
        }
        User user = users.findById(id).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "user not found"));
        cache.put(user);
        return ResponseEntity.ok().header("X-Cache", "miss").body(user);
    }

    @GetMapping("/users")
    public List<User> list(@RequestParam(defaultValue = "100") int limit, @RequestParam(defaultValue = "0") int offset) {
        if (limit < 1 || limit > 1000 || offset < 0) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "limit must be 1 to 1000 and offset 0 or more");
        }
        return users.list(limit, offset);
    }

    /** The user, from the cache when it holds it: the order routes check the user exists first. */
    User existing(long id) {
        return cache.get(id).or(() -> users.findById(id).map(u -> {
            cache.put(u);
            return u;
        })).orElseThrow(() -> new ApiException(HttpStatus.NOT_FOUND, "user not found"));
    }
}
