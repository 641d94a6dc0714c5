package lab.cloudmart.users;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.http.HttpClient;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.core.RedisCallback;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * /health (the process only), /ready (PostgreSQL and Redis, checked side by side within 1 s) and
 * /metrics. order-service and product-service are not readiness checks unless
 * READY_CHECK_UPSTREAMS=true: a slow order-service must not take logins out of service too.
 */
@RestController
public class OpsController {

    private static final Duration CHECK_TIMEOUT = Duration.ofSeconds(1);
    private static final MediaType PROMETHEUS_TEXT = MediaType.parseMediaType("text/plain; version=0.0.4; charset=utf-8");

    private final DataSource dataSource;
    private final StringRedisTemplate redis;
    private final DatabaseSetup setup;
    private final PrometheusMeterRegistry registry;
    private final Map<String, Upstream> upstreams = new LinkedHashMap<>();
    private final ExecutorService checks = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ready-check");
        t.setDaemon(true);
        return t;
    });

    public OpsController(DataSource dataSource, StringRedisTemplate redis, DatabaseSetup setup,
            PrometheusMeterRegistry registry, OrderController orders, HttpClient http,
            @Value("${cloudmart.product-service.url}") String productServiceUrl,
            @Value("${cloudmart.ready.check-upstreams:false}") boolean checkUpstreams) {
        this.dataSource = dataSource;
        this.redis = redis;
        this.setup = setup;
        this.registry = registry;
        if (checkUpstreams) {
            upstreams.put("order-service", orders.upstream());
            upstreams.put("product-service", new Upstream("product-service", productServiceUrl, http, CHECK_TIMEOUT));
        }
    }

    @GetMapping("/health")
    public Map<String, String> health() {
        return Map.of("status", "ok");
    }

    @GetMapping("/ready")
    public ResponseEntity<Map<String, Object>> ready() {
        Map<String, CompletableFuture<String>> running = new LinkedHashMap<>();
        running.put("postgres", check(this::postgres));
        running.put("redis", check(this::redis));
        upstreams.forEach((name, upstream) ->
                running.put(name, check(() -> upstream.ready(CHECK_TIMEOUT) ? "ok" : "not ready or unreachable")));
        Map<String, Object> results = new LinkedHashMap<>();
        long deadline = System.nanoTime() + CHECK_TIMEOUT.toNanos() + TimeUnit.MILLISECONDS.toNanos(200);
        boolean ready = true;
        for (Map.Entry<String, CompletableFuture<String>> entry : running.entrySet()) {
            String result;
            try {
                result = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                result = "timeout after " + CHECK_TIMEOUT.toMillis() + " ms";
            } catch (Exception e) {
                result = "error: " + e.getMessage();
            }
            results.put(entry.getKey(), result);
            ready &= "ok".equals(result);
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", ready ? "ready" : "not ready");
        body.put("checks", results);
        return ResponseEntity.status(ready ? 200 : 503).body(body);
    }

    @GetMapping("/metrics")
    public ResponseEntity<String> metrics() {
        return ResponseEntity.ok().contentType(PROMETHEUS_TEXT).body(registry.scrape());
    }

    private CompletableFuture<String> check(Supplier<String> probe) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return probe.get();
            } catch (RuntimeException e) {
                return "error: " + rootMessage(e);
            }
        }, checks);
    }

    private String postgres() {
        try (Connection connection = dataSource.getConnection()) {
            if (!connection.isValid((int) CHECK_TIMEOUT.toSeconds())) {
                return "error: connection not valid";
            }
        } catch (Exception e) {
            return "error: " + rootMessage(e);
        }
        return setup.isDone() ? "ok" : "error: schema not applied yet";
    }

    private String redis() {
        String pong = redis.execute((RedisCallback<String>) RedisConnection::ping, true);
        return "PONG".equalsIgnoreCase(pong) ? "ok" : "error: unexpected answer " + pong;
    }

    private static String rootMessage(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getClass().getSimpleName() + ": " + root.getMessage();
    }
}
