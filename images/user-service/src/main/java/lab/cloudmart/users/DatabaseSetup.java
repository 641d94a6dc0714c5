package lab.cloudmart.users;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.context.event.EventListener;
import org.springframework.core.io.ClassPathResource;
import org.springframework.jdbc.datasource.init.ScriptUtils;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.stereotype.Component;

/**
 * Creates the table and inserts the seed users, retrying in the background until PostgreSQL answers.
 * The process starts (and /health answers) with the database down; /ready stays 503 until this is
 * done, so a broken database shows as an unready pod with a clear log line, not a crash loop.
 */
@Component
public class DatabaseSetup {

    /** A seed user: from SEED_USERS_FILE, or the built-in demo set. */
    public record SeedUser(String email, String name, String password) {}

    static final List<SeedUser> DEMO_USERS = List.of(
            new SeedUser("alice@cloudmart.example", "Alice", "cloudmart"),
            new SeedUser("bob@cloudmart.example", "Bob", "cloudmart"),
            new SeedUser("carol@cloudmart.example", "Carol", "cloudmart"));

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseSetup.class);
    // Two replicas starting together would race on CREATE TABLE IF NOT EXISTS without it.
    private static final long LOCK_KEY = 0x75736572L; // "user"
    private static final long RETRY_MILLIS = 2000;

    private final DataSource dataSource;
    private final UserRepository users;
    private final PasswordEncoder passwords;
    private final boolean seedDemo;
    private final String seedFile;
    private volatile boolean done;
    private volatile Thread worker;

    public DatabaseSetup(DataSource dataSource, UserRepository users, PasswordEncoder passwords,
            @Value("${cloudmart.seed.demo:false}") boolean seedDemo,
            @Value("${cloudmart.seed.users-file:}") String seedFile) {
        this.dataSource = dataSource;
        this.users = users;
        this.passwords = passwords;
        this.seedDemo = seedDemo;
        this.seedFile = seedFile;
    }

    public boolean isDone() {
        return done;
    }

    @EventListener(ApplicationReadyEvent.class)
    public void start() {
        Thread thread = new Thread(this::run, "db-setup");
        thread.setDaemon(true);
        worker = thread;
        thread.start();
    }

    @EventListener(ContextClosedEvent.class)
    public void stop() {
        Thread thread = worker;
        if (thread != null) {
            thread.interrupt();
        }
    }

    private void run() {
        int failures = 0;
        while (!done && !Thread.currentThread().isInterrupted()) {
            try {
                applySchema();
                seed();
                done = true;
                LOG.info("database ready: schema applied, seed users present");
            } catch (Exception e) {
                failures++;
                // The first failure and then one in fifteen (every 30 s): enough to see, not a flood.
                if (failures == 1 || failures % 15 == 0) {
                    LOG.atWarn().addKeyValue("attempts", failures).addKeyValue("error", String.valueOf(e.getMessage()))
                            .log("database setup failed; retrying every {} ms", RETRY_MILLIS);
                }
                try {
                    Thread.sleep(RETRY_MILLIS);
                } catch (InterruptedException stopped) {
                    return;
                }
            }
        }
    }

    void applySchema() throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try (Statement lock = connection.createStatement()) {
                lock.execute("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")");
                ScriptUtils.executeSqlScript(connection, new ClassPathResource("db/schema.sql"));
                connection.commit();
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
    }

    void seed() throws IOException {
        Map<String, SeedUser> wanted = new LinkedHashMap<>();
        if (seedDemo) {
            DEMO_USERS.forEach(u -> wanted.put(u.email(), u));
        }
        if (!seedFile.isBlank()) {
            SeedUser[] fromFile = new ObjectMapper().readValue(Files.readAllBytes(Path.of(seedFile)), SeedUser[].class);
            for (SeedUser u : fromFile) {
                String email = UserController.normalizeEmail(u.email());
                if (email == null || u.name() == null || u.password() == null) {
                    throw new IOException("seed file " + seedFile + ": each user needs email, name and password");
                }
                wanted.put(email, new SeedUser(email, u.name(), u.password()));
            }
        }
        if (wanted.isEmpty()) {
            return;
        }
        // Hash only the missing users: BCrypt costs ~0.1 s of CPU each.
        List<String> present = users.existingEmails(new ArrayList<>(wanted.keySet()));
        int added = 0;
        for (SeedUser u : wanted.values()) {
            if (!present.contains(u.email()) && users.insert(u.email(), u.name(), passwords.encode(u.password())).isPresent()) {
                added++;
            }
        }
        LOG.atInfo().addKeyValue("seed_users", wanted.size()).addKeyValue("added", added).log("seed users checked");
    }
}
