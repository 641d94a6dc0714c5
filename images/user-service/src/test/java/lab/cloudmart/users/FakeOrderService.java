package lab.cloudmart.users;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** order-service on loopback: records what user-service sends and answers like the real one. */
final class FakeOrderService implements AutoCloseable {

    record Received(String method, String uri, String body, Map<String, List<String>> headers) {}

    final List<Received> received = new CopyOnWriteArrayList<>();
    private final HttpServer server;

    FakeOrderService() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/ready", exchange -> answer(exchange, 200, "{\"status\":\"ready\"}"));
        server.createContext("/orders", this::orders);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    private void orders(HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        received.add(new Received(exchange.getRequestMethod(), exchange.getRequestURI().toString(), body,
                Map.copyOf(exchange.getRequestHeaders())));
        if (exchange.getRequestMethod().equals("POST")) {
            // The answer embeds what came in, so a test sees that user-service relays it unchanged.
            answer(exchange, 201, "{\"id\":77,\"status\":\"paid\",\"echo\":" + body + "}");
        } else {
            answer(exchange, 200, "[{\"id\":77,\"status\":\"paid\"}]");
        }
    }

    private static void answer(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
