package lab.cloudmart.users;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.springframework.http.HttpStatus;

/** A service user-service calls (order-service, product-service), by base URL. */
public class Upstream {

    /** The upstream's answer as it came: status, content type and body. */
    public record Answer(int status, String contentType, byte[] body) {}

    private final String name;
    private final String baseUrl;
    private final HttpClient http;
    private final Duration timeout;

    public Upstream(String name, String baseUrl, HttpClient http, Duration timeout) {
        this.name = name;
        this.baseUrl = baseUrl.replaceAll("/+$", "");
        this.http = http;
        this.timeout = timeout;
    }

    public String name() {
        return name;
    }

    public Answer send(String method, String pathAndQuery, byte[] jsonBody, String requestId, String idempotencyKey) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(baseUrl + pathAndQuery))
                .timeout(timeout)
                .header("Accept", "application/json")
                .header(RequestFilter.REQUEST_ID, requestId);
        if (idempotencyKey != null) {
            request.header("Idempotency-Key", idempotencyKey);
        }
        if (jsonBody != null) {
            request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofByteArray(jsonBody));
        } else {
            request.method(method, HttpRequest.BodyPublishers.noBody());
        }
        try {
            HttpResponse<byte[]> response = http.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
            String type = response.headers().firstValue("Content-Type").orElse("application/json");
            return new Answer(response.statusCode(), type, response.body());
        } catch (HttpTimeoutException e) {
            throw new ApiException(HttpStatus.GATEWAY_TIMEOUT, name + " did not answer within " + timeout.toMillis() + " ms");
        } catch (ConnectException e) {
            // The client's ConnectException carries no message; refused and unroutable look alike here.
            throw new ApiException(HttpStatus.BAD_GATEWAY, name + " unreachable: "
                    + (e.getMessage() != null ? e.getMessage() : "connection refused"));
        } catch (IOException e) {
            throw new ApiException(HttpStatus.BAD_GATEWAY, name + " failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiException(HttpStatus.SERVICE_UNAVAILABLE, "interrupted while calling " + name);
        }
    }

    /**
     * True when the upstream's /ready answers 200 within the timeout given: an upstream that runs
     * but cannot serve is of no use either, and its /health may be a slow deep check.
     */
    public boolean ready(Duration within) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(baseUrl + "/ready")).timeout(within).GET().build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (IOException | IllegalArgumentException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
