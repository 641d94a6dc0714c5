package lab.cloudmart.users;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.HttpStatus;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The real app over real HTTP, on a real PostgreSQL and Redis, with a fake order-service. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(OutputCaptureExtension.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UserServiceTest {

    static final String SECRET = "test-secret";
    static final LocalServers SERVERS = LocalServers.get();
    static final FakeOrderService ORDERS = startOrders();
    static final ObjectMapper JSON = new ObjectMapper();
    static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    @LocalServerPort
    int port;

    @Autowired
    StringRedisTemplate redis;

    @Autowired
    JdbcTemplate jdbc;

    @Autowired
    DatabaseSetup setup;

    @DynamicPropertySource
    static void servers(DynamicPropertyRegistry registry) throws IOException {
        Path seedFile = SERVERS.dir.resolve("seed-users.json");
        Files.writeString(seedFile, "[{\"email\":\"Erin@CloudMart.example\",\"name\":\"Erin\",\"password\":\"erin-pw\"}]");
        registry.add("spring.datasource.url", SERVERS::jdbcUrl);
        registry.add("spring.datasource.username", () -> "postgres");
        registry.add("spring.datasource.password", () -> "unused-with-trust");
        registry.add("spring.data.redis.host", () -> "127.0.0.1");
        registry.add("spring.data.redis.port", () -> SERVERS.redisPort);
        registry.add("cloudmart.order-service.url", ORDERS::url);
        registry.add("cloudmart.token.secret", () -> SECRET);
        registry.add("cloudmart.seed.demo", () -> "true");
        registry.add("cloudmart.seed.users-file", seedFile::toString);
        // Cost 4 keeps the suite fast; the hash format and checks are the same as at cost 10.
        registry.add("cloudmart.bcrypt-cost", () -> "4");
    }

    static FakeOrderService startOrders() {
        try {
            return new FakeOrderService();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stopOrders() {
        ORDERS.close();
    }

    @BeforeEach
    void awaitReady() throws Exception {
        // Schema and seed are applied in the background after start-up; /ready says when.
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (call("GET", "/ready", null).statusCode() != 200) {
            assertThat(System.nanoTime()).as("/ready within 30 s").isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    @Order(1)
    void healthAnswersWithoutDependencies() throws Exception {
        HttpResponse<String> response = call("GET", "/health", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(JSON.readTree(response.body()).path("status").asText()).isEqualTo("ok");
        JsonNode ready = JSON.readTree(call("GET", "/ready", null).body());
        assertThat(ready.path("status").asText()).isEqualTo("ready");
        assertThat(ready.path("checks").path("postgres").asText()).isEqualTo("ok");
        assertThat(ready.path("checks").path("redis").asText()).isEqualTo("ok");
    }

    @Test
    @Order(2)
    void registerCreatesUserWithHashedPassword() throws Exception {
        String email = unique("Reg");
        HttpResponse<String> response = call("POST", "/users",
                "{\"email\":\"" + email + "\",\"name\":\"Reggie\",\"password\":\"s3cret!\"}");
        assertThat(response.statusCode()).isEqualTo(201);
        JsonNode user = JSON.readTree(response.body());
        assertThat(user.path("id").asLong()).isPositive();
        assertThat(user.path("email").asText()).isEqualTo(email.toLowerCase());
        assertThat(user.path("name").asText()).isEqualTo("Reggie");
        assertThat(user.has("password")).isFalse();
        assertThat(response.headers().firstValue("Location")).hasValue("/users/" + user.path("id").asLong());
        String hash = jdbc.queryForObject("SELECT password_hash FROM users WHERE id = ?", String.class, user.path("id").asLong());
        assertThat(hash).startsWith("$2").doesNotContain("s3cret!");
    }

    @Test
    @Order(3)
    void duplicateEmailIs409WhateverItsCase() throws Exception {
        String email = unique("dup");
        assertThat(register(email, "pw").statusCode()).isEqualTo(201);
        HttpResponse<String> again = register(email.toUpperCase(), "other");
        assertThat(again.statusCode()).isEqualTo(409);
        assertThat(JSON.readTree(again.body()).path("error").asText()).contains("already");
        assertThat(jdbc.queryForObject("SELECT count(*) FROM users WHERE email = ?", Long.class, email.toLowerCase()))
                .isEqualTo(1);
    }

    @Test
    @Order(4)
    void invalidRegistrationsAre400() throws Exception {
        assertThat(call("POST", "/users", "{\"name\":\"x\",\"password\":\"p\"}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/users", "{\"email\":\"not-an-email\",\"name\":\"x\",\"password\":\"p\"}").statusCode())
                .isEqualTo(400);
        assertThat(call("POST", "/users", "{\"email\":\"" + unique("np") + "\",\"name\":\"x\"}").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/users", "{not json").statusCode()).isEqualTo(400);
        assertThat(call("POST", "/users", "").statusCode()).isEqualTo(400);
    }

    @Test
    @Order(4)
    void bodiesAreJsonWhateverTheContentType() throws Exception {
        // As `curl -d` sends it: a form type around a JSON body.
        String email = unique("curl");
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/users"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"email\":\"" + email + "\",\"name\":\"Curl\",\"password\":\"a+b&c=d\"}"))
                .build();
        assertThat(HTTP.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(201);
        HttpRequest login = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/login"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"email\":\"" + email + "\",\"password\":\"a+b&c=d\"}"))
                .build();
        assertThat(HTTP.send(login, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void loginReturnsUserIdAndSignedToken() throws Exception {
        String email = unique("login");
        long id = JSON.readTree(register(email, "right-pw").body()).path("id").asLong();
        HttpResponse<String> response = call("POST", "/login", "{\"email\":\"" + email + "\",\"password\":\"right-pw\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.path("user_id").asLong()).isEqualTo(id);
        String[] jwt = body.path("token").asText().split("\\.");
        assertThat(jwt).hasSize(3);
        JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(jwt[1]));
        assertThat(claims.path("sub").asText()).isEqualTo(Long.toString(id));
        assertThat(claims.path("exp").asLong()).isGreaterThan(claims.path("iat").asLong());
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
        String expected = Base64.getUrlEncoder().withoutPadding()
                .encodeToString(mac.doFinal((jwt[0] + "." + jwt[1]).getBytes(StandardCharsets.UTF_8)));
        assertThat(jwt[2]).isEqualTo(expected);
    }

    @Test
    @Order(6)
    void loginWithWrongPasswordOrUnknownEmailIs401() throws Exception {
        String email = unique("deny");
        register(email, "right-pw");
        assertThat(call("POST", "/login", "{\"email\":\"" + email + "\",\"password\":\"wrong\"}").statusCode()).isEqualTo(401);
        assertThat(call("POST", "/login", "{\"email\":\"nobody-" + email + "\",\"password\":\"right-pw\"}").statusCode())
                .isEqualTo(401);
        assertThat(call("POST", "/login", "{\"email\":\"" + email + "\"}").statusCode()).isEqualTo(401);
    }

    @Test
    @Order(7)
    void seedUsersArePresentOnceAndCanLogIn() throws Exception {
        for (String email : List.of("alice@cloudmart.example", "bob@cloudmart.example", "carol@cloudmart.example")) {
            assertThat(call("POST", "/login", "{\"email\":\"" + email + "\",\"password\":\"cloudmart\"}").statusCode())
                    .as(email).isEqualTo(200);
        }
        assertThat(call("POST", "/login", "{\"email\":\"erin@cloudmart.example\",\"password\":\"erin-pw\"}").statusCode())
                .isEqualTo(200);
        long before = jdbc.queryForObject("SELECT count(*) FROM users", Long.class);
        setup.applySchema();
        setup.seed();
        assertThat(jdbc.queryForObject("SELECT count(*) FROM users", Long.class)).isEqualTo(before);
    }

    @Test
    @Order(8)
    void getUserIsServedFromRedisForSixtySeconds() throws Exception {
        long id = JSON.readTree(register(unique("cache"), "pw").body()).path("id").asLong();
        String key = "user-service:user:" + id;
        assertThat(redis.hasKey(key)).isFalse();

        HttpResponse<String> first = call("GET", "/users/" + id, null);
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("X-Cache")).hasValue("miss");
        assertThat(JSON.readTree(first.body()).path("name").asText()).isEqualTo("Tester");
        assertThat(redis.hasKey(key)).isTrue();
        assertThat(redis.getExpire(key)).isBetween(1L, 60L);

        // Changed behind the service's back: a second read that shows the old name came from Redis.
        jdbc.update("UPDATE users SET name = 'Renamed' WHERE id = ?", id);
        HttpResponse<String> second = call("GET", "/users/" + id, null);
        assertThat(second.headers().firstValue("X-Cache")).hasValue("hit");
        assertThat(JSON.readTree(second.body()).path("name").asText()).isEqualTo("Tester");

        redis.delete(key);
        assertThat(JSON.readTree(call("GET", "/users/" + id, null).body()).path("name").asText()).isEqualTo("Renamed");
    }

    @Test
    @Order(9)
    void unknownOrMalformedUserIdsAreRefused() throws Exception {
        assertThat(call("GET", "/users/987654321", null).statusCode()).isEqualTo(404);
        assertThat(call("GET", "/users/abc", null).statusCode()).isEqualTo(400);
        assertThat(call("GET", "/no/such/route", null).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(10)
    void listUsersShowsRegisteredUsers() throws Exception {
        String email = unique("list");
        register(email, "pw");
        HttpResponse<String> response = call("GET", "/users?limit=1000", null);
        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode list = JSON.readTree(response.body());
        assertThat(list.isArray()).isTrue();
        assertThat(list.findValuesAsText("email")).contains(email.toLowerCase(), "alice@cloudmart.example");
        assertThat(response.body()).doesNotContain("password");
    }

    @Test
    @Order(11)
    void placingAnOrderForwardsToOrderServiceWithTheUserId() throws Exception {
        long id = JSON.readTree(register(unique("buyer"), "pw").body()).path("id").asLong();
        ORDERS.received.clear();
        HttpRequest request = request("POST", "/users/" + id + "/orders",
                "{\"user_id\":999,\"items\":[{\"product_id\":\"p-1\",\"quantity\":2}]}")
                .header("Idempotency-Key", "key-" + id)
                .header("X-Request-ID", "req-" + id)
                .build();
        HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(201);
        assertThat(ORDERS.received).hasSize(1);
        FakeOrderService.Received sent = ORDERS.received.get(0);
        assertThat(sent.method()).isEqualTo("POST");
        assertThat(sent.uri()).isEqualTo("/orders");
        JsonNode forwarded = JSON.readTree(sent.body());
        assertThat(forwarded.path("user_id").isIntegralNumber()).isTrue();
        assertThat(forwarded.path("user_id").asLong()).isEqualTo(id);
        assertThat(forwarded.path("items").get(0).path("product_id").asText()).isEqualTo("p-1");
        assertThat(forwarded.path("items").get(0).path("quantity").asInt()).isEqualTo(2);
        assertThat(sent.headers().get("Idempotency-key")).containsExactly("key-" + id);
        assertThat(sent.headers().get("X-request-id")).containsExactly("req-" + id);
        JsonNode answer = JSON.readTree(response.body());
        assertThat(answer.path("id").asInt()).isEqualTo(77);
        assertThat(answer.path("echo").path("user_id").asLong()).isEqualTo(id);
    }

    @Test
    @Order(12)
    void listingOrdersAsksOrderServiceForTheUser() throws Exception {
        long id = JSON.readTree(register(unique("reader"), "pw").body()).path("id").asLong();
        ORDERS.received.clear();
        HttpResponse<String> response = call("GET", "/users/" + id + "/orders", null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(ORDERS.received).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("GET");
            assertThat(r.uri()).isEqualTo("/orders?user_id=" + id);
        });
        assertThat(JSON.readTree(response.body()).get(0).path("id").asInt()).isEqualTo(77);
    }

    @Test
    @Order(13)
    void ordersOfUnknownUsersOrWithoutItemsAreNotForwarded() throws Exception {
        ORDERS.received.clear();
        assertThat(call("POST", "/users/987654321/orders", "{\"items\":[]}").statusCode()).isEqualTo(404);
        assertThat(call("POST", "/users/1/orders", "{\"nothing\":1}").statusCode()).isEqualTo(400);
        assertThat(ORDERS.received).isEmpty();
    }

    @Test
    @Order(14)
    void unreachableOrderServiceIs502() throws Exception {
        int closedPort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        Upstream gone = new Upstream("order-service", "http://127.0.0.1:" + closedPort, HTTP, Duration.ofSeconds(1));
        assertThatThrownBy(() -> gone.send("GET", "/orders", null, "r", null))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(HttpStatus.BAD_GATEWAY));
    }

    @Test
    @Order(15)
    void metricsNameRouteTemplatesNotPaths() throws Exception {
        long id = JSON.readTree(register(unique("metric"), "pw").body()).path("id").asLong();
        call("GET", "/users/" + id, null);
        String metrics = call("GET", "/metrics", null).body();
        List<String> lines = metrics.lines().toList();
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("http_requests_total{")
                .contains("method=\"GET\"", "route=\"/users/{id}\"", "status=\"200\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("http_requests_total{")
                .contains("method=\"POST\"", "route=\"/users\"", "status=\"201\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("http_request_duration_seconds_bucket{")
                .contains("route=\"/users/{id}\"", "le=\"+Inf\""));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("http_request_duration_seconds_count{"));
        assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("http_request_duration_seconds_sum{"));
        assertThat(metrics).contains("# TYPE http_request_duration_seconds histogram")
                .doesNotContain("route=\"/users/" + id + "\"");
    }

    @Test
    @Order(16)
    void logsAreOneJsonObjectPerLine(CapturedOutput output) throws Exception {
        call("GET", "/users/987654321", null);
        List<JsonNode> requests = output.getOut().lines()
                .filter(l -> l.contains("\"msg\":\"request\"") && l.contains("/users/987654321"))
                .map(UserServiceTest::json).toList();
        assertThat(requests).isNotEmpty();
        JsonNode line = requests.get(requests.size() - 1);
        assertThat(line.path("ts").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
        assertThat(line.path("level").asText()).isEqualTo("info");
        assertThat(line.path("service").asText()).isEqualTo("user-service");
        assertThat(line.path("method").asText()).isEqualTo("GET");
        assertThat(line.path("path").asText()).isEqualTo("/users/987654321");
        assertThat(line.path("status").asInt()).isEqualTo(404);
        assertThat(line.path("duration_ms").isNumber()).isTrue();
        assertThat(output.getOut().lines().filter(l -> l.startsWith("{")).map(UserServiceTest::json)).allSatisfy(
                j -> assertThat(j.has("msg")).isTrue());
    }

    @Test
    @Order(20)
    void readyIs503WhileRedisIsDownAndUsersAreStillServed() throws Exception {
        long id = JSON.readTree(register(unique("degraded"), "pw").body()).path("id").asLong();
        SERVERS.stopRedis();
        try {
            HttpResponse<String> ready = call("GET", "/ready", null);
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode checks = JSON.readTree(ready.body()).path("checks");
            assertThat(checks.path("postgres").asText()).isEqualTo("ok");
            assertThat(checks.path("redis").asText()).isNotEqualTo("ok");
            HttpResponse<String> user = call("GET", "/users/" + id, null);
            assertThat(user.statusCode()).isEqualTo(200);
            assertThat(user.headers().firstValue("X-Cache")).hasValue("miss");
        } finally {
            SERVERS.startRedis();
        }
        awaitReady();
    }

    @Test
    @Order(21)
    void readyIs503WhilePostgresIsDownAndRecovers() throws Exception {
        SERVERS.stopPostgres();
        try {
            long start = System.nanoTime();
            HttpResponse<String> ready = call("GET", "/ready", null);
            long tookMillis = (System.nanoTime() - start) / 1_000_000;
            assertThat(ready.statusCode()).isEqualTo(503);
            JsonNode body = JSON.readTree(ready.body());
            assertThat(body.path("status").asText()).isEqualTo("not ready");
            assertThat(body.path("checks").path("postgres").asText()).startsWith("error");
            assertThat(body.path("checks").path("redis").asText()).isEqualTo("ok");
            assertThat(tookMillis).as("readiness answers within its budget").isLessThan(2500);
            assertThat(call("GET", "/health", null).statusCode()).isEqualTo(200);
            assertThat(register(unique("nodb"), "pw").statusCode()).isEqualTo(503);
        } finally {
            SERVERS.startPostgres();
        }
        awaitReady();
        assertThat(register(unique("back"), "pw").statusCode()).isEqualTo(201);
    }

    private static JsonNode json(String line) {
        try {
            return JSON.readTree(line);
        } catch (IOException e) {
            throw new AssertionError("not a JSON log line: " + line, e);
        }
    }

    private static String unique(String prefix) {
        return prefix + "-" + UUID.randomUUID().toString().substring(0, 8) + "@Example.com";
    }

    private HttpResponse<String> register(String email, String password) throws Exception {
        return call("POST", "/users", "{\"email\":\"" + email + "\",\"name\":\"Tester\",\"password\":\"" + password + "\"}");
    }

    private HttpRequest.Builder request(String method, String path, String body) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10));
        if (body == null) {
            return builder.method(method, HttpRequest.BodyPublishers.noBody());
        }
        return builder.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    }

    private HttpResponse<String> call(String method, String path, String body) throws Exception {
        return HTTP.send(request(method, path, body).build(), HttpResponse.BodyHandlers.ofString());
    }
}
