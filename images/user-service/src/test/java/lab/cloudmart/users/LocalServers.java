package lab.cloudmart.users;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PostgreSQL 15 and a real Redis on loopback, on free ports, for the whole test JVM.
 * Both run as children of this JVM with a parent-death signal, and their pids go to
 * $USER_SERVICE_TEST_PIDS and their data under $USER_SERVICE_TEST_DIR (test.sh's trap cleans
 * both), so nothing outlives the tests even on a hard kill.
 */
final class LocalServers {

    static final String PG_BIN = System.getenv().getOrDefault("PG_BIN", "/usr/lib/postgresql/15/bin");
    static final String REDIS_SERVER = System.getenv().getOrDefault("REDIS_SERVER", "redis-server");
    private static final boolean ROOT = "root".equals(System.getProperty("user.name"));
    private static LocalServers instance;

    final Path dir;
    final int pgPort;
    final int redisPort;
    private Process postgres;
    private Process redis;

    private LocalServers() throws IOException, InterruptedException {
        String parent = System.getenv("USER_SERVICE_TEST_DIR");
        dir = parent == null ? Files.createTempDirectory("user-service-test-")
                : Files.createTempDirectory(Path.of(parent), "servers-");
        pgPort = freePort();
        redisPort = freePort();
        if (ROOT) {
            // PostgreSQL refuses to run as root: its files belong to the postgres user.
            UserPrincipal owner = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("postgres");
            Files.setOwner(dir, owner);
        }
        run(asPostgres(PG_BIN + "/initdb", "-D", dir.resolve("data").toString(), "-U", "postgres",
                "--auth=trust", "-E", "UTF8", "--no-sync"));
        startPostgres();
        run(asPostgres(PG_BIN + "/psql", "-h", "127.0.0.1", "-p", Integer.toString(pgPort), "-U", "postgres",
                "-q", "-v", "ON_ERROR_STOP=1", "-c", "CREATE DATABASE userdb"));
        startRedis();
        Runtime.getRuntime().addShutdownHook(new Thread(this::stopAll, "local-servers-stop"));
    }

    static synchronized LocalServers get() {
        if (instance == null) {
            try {
                instance = new LocalServers();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return instance;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + pgPort + "/userdb";
    }

    synchronized void startPostgres() throws IOException, InterruptedException {
        postgres = spawn("postgres", asPostgres(PG_BIN + "/postgres", "-D", dir.resolve("data").toString(),
                "-p", Integer.toString(pgPort), "-k", dir.toString(), "-c", "listen_addresses=127.0.0.1",
                "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "shared_buffers=16MB"));
        awaitPort(pgPort, postgres);
        // The port opens before the server accepts logins; pg_isready waits for that.
        for (int i = 0; i < 100; i++) {
            if (exec(asPostgres(PG_BIN + "/pg_isready", "-q", "-h", "127.0.0.1", "-p", Integer.toString(pgPort))) == 0) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("postgres did not become ready; see " + dir.resolve("postgres.log"));
    }

    /** A fast shutdown, as when the database pod goes away: open connections are cut. */
    synchronized void stopPostgres() throws IOException, InterruptedException {
        if (postgres != null && postgres.isAlive()) {
            exec(List.of("kill", "-INT", Long.toString(postgres.pid())));
            if (!postgres.waitFor(20, TimeUnit.SECONDS)) {
                postgres.destroyForcibly();
            }
        }
    }

    synchronized void startRedis() throws IOException, InterruptedException {
        redis = spawn("redis", withParentDeath(List.of(REDIS_SERVER, "--port", Integer.toString(redisPort),
                "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString())));
        awaitPort(redisPort, redis);
    }

    synchronized void stopRedis() throws InterruptedException {
        if (redis != null && redis.isAlive()) {
            redis.destroy();
            redis.waitFor(10, TimeUnit.SECONDS);
        }
    }

    private synchronized void stopAll() {
        try {
            stopRedis();
            stopPostgres();
        } catch (IOException | InterruptedException e) {
            // The parent-death signal still ends them.
        }
        if (postgres != null) {
            postgres.destroyForcibly();
        }
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // A temp dir left behind is harmless.
        }
    }

    private List<String> asPostgres(String... command) {
        List<String> full = new ArrayList<>();
        full.add("setpriv");
        full.add("--pdeathsig=TERM");
        if (ROOT) {
            full.addAll(List.of("--reuid=postgres", "--regid=postgres", "--init-groups"));
        }
        full.add("--");
        full.addAll(List.of(command));
        return full;
    }

    private static List<String> withParentDeath(List<String> command) {
        List<String> full = new ArrayList<>(List.of("setpriv", "--pdeathsig=TERM", "--"));
        full.addAll(command);
        return full;
    }

    private Process spawn(String name, List<String> command) throws IOException {
        Process process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve(name + ".log").toFile()))
                .start();
        String pidFile = System.getenv("USER_SERVICE_TEST_PIDS");
        if (pidFile != null) {
            Files.writeString(Path.of(pidFile), process.pid() + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
        }
        return process;
    }

    private void run(List<String> command) throws IOException, InterruptedException {
        Path log = dir.resolve("setup.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed:\n" + Files.readString(log));
        }
    }

    private static int exec(List<String> command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return process.waitFor(10, TimeUnit.SECONDS) ? process.exitValue() : -1;
    }

    private void awaitPort(int port, Process process) throws InterruptedException, IOException {
        for (int i = 0; i < 200; i++) {
            if (!process.isAlive()) {
                throw new IllegalStateException("server on port " + port + " exited; logs in " + dir);
            }
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("nothing listens on port " + port + "; logs in " + dir);
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
