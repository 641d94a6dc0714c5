package lab.cloudmart.users;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;
import org.springframework.web.servlet.HandlerMapping;

/**
 * Every request: the platform's metrics (http_requests_total, http_request_duration_seconds) under
 * its route template, a request id, and one JSON request log line.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestFilter extends OncePerRequestFilter {

    static final String REQUEST_ID = "X-Request-ID";
    private static final Logger LOG = LoggerFactory.getLogger("http");
    // Probes and scrapes come every few seconds; at info they would drown the API lines.
    private static final Set<String> QUIET = Set.of("/health", "/ready", "/metrics");
    private static final Pattern SAFE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    // Buckets for a service whose calls take milliseconds, and seconds when order-service is slow.
    private static final Duration[] BUCKETS = {
        Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50),
        Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1),
        Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
    };

    private final PrometheusMeterRegistry registry;

    public RequestFilter(PrometheusMeterRegistry registry) {
        this.registry = registry;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long start = System.nanoTime();
        String requestId = request.getHeader(REQUEST_ID);
        if (requestId == null || !SAFE_ID.matcher(requestId).matches()) {
            requestId = UUID.randomUUID().toString();
        }
        request.setAttribute(REQUEST_ID, requestId);
        response.setHeader(REQUEST_ID, requestId);
        try {
            chain.doFilter(request, response);
        } finally {
            long elapsed = System.nanoTime() - start;
            record(request, response.getStatus(), elapsed, requestId);
        }
    }

    private void record(HttpServletRequest request, int status, long elapsedNanos, String requestId) {
        String method = request.getMethod();
        Object pattern = request.getAttribute(HandlerMapping.BEST_MATCHING_PATTERN_ATTRIBUTE);
        // Unknown paths share one label so a scanner cannot blow up the series count.
        String route = pattern != null ? pattern.toString() : "unmatched";
        Counter.builder("http.requests")
                .description("HTTP requests by method, route template and status")
                .tags("method", method, "route", route, "status", Integer.toString(status))
                .register(registry)
                .increment();
        Timer.builder("http.request.duration")
                .description("HTTP request duration by method and route template")
                .tags("method", method, "route", route)
                .serviceLevelObjectives(BUCKETS)
                .register(registry)
                .record(Duration.ofNanos(elapsedNanos));
        String path = request.getRequestURI();
        Level level = status >= 500 ? Level.WARN : QUIET.contains(path) ? Level.DEBUG : Level.INFO;
        LOG.atLevel(level)
                .addKeyValue("method", method)
                .addKeyValue("path", path)
                .addKeyValue("route", route)
                .addKeyValue("status", status)
                .addKeyValue("duration_ms", Math.round(elapsedNanos / 10_000.0) / 100.0)
                .addKeyValue("request_id", requestId)
                .log("request");
    }
}
