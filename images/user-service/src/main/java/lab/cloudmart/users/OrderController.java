package lab.cloudmart.users;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.servlet.http.HttpServletRequest;
import java.net.http.HttpClient;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;

/** The purchase path: a user's orders are placed and read at order-service. */
@RestController
public class OrderController {

    private static final Logger LOG = LoggerFactory.getLogger(OrderController.class);

    private final Upstream orders;
    private final UserController users;
    private final ObjectMapper json;

    public OrderController(UserController users, ObjectMapper json, HttpClient http,
            @Value("${cloudmart.order-service.url}") String orderServiceUrl,
            @Value("${cloudmart.order-service.timeout:10s}") Duration timeout) {
        this.orders = new Upstream("order-service", orderServiceUrl, http, timeout);
        this.users = users;
        this.json = json;
    }

    Upstream upstream() {
        return orders;
    }

    @PostMapping("/users/{id}/orders")
    public ResponseEntity<byte[]> place(@PathVariable long id, HttpServletRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey)
            throws JsonProcessingException {
        JsonNode body = JsonBody.read(request, JsonNode.class);
        if (!(body instanceof ObjectNode order) || !order.path("items").isArray()) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "body must be {\"items\": [{\"product_id\", \"quantity\"}]}");
        }
        users.existing(id);
        // The path names the buyer: a user_id in the body is replaced, never trusted.
        ObjectNode forwarded = json.createObjectNode().put("user_id", id);
        order.fields().forEachRemaining(f -> {
            if (!f.getKey().equals("user_id")) {
                forwarded.set(f.getKey(), f.getValue());
            }
        });
        Upstream.Answer answer = orders.send("POST", "/orders", json.writeValueAsBytes(forwarded),
                requestId(request), idempotencyKey);
        LOG.atInfo().addKeyValue("user_id", id).addKeyValue("upstream_status", answer.status())
                .log("order forwarded to order-service");
        return relay(answer);
    }

    @GetMapping("/users/{id}/orders")
    public ResponseEntity<byte[]> list(@PathVariable long id, HttpServletRequest request) {
        users.existing(id);
        return relay(orders.send("GET", "/orders?user_id=" + id, null, requestId(request), null));
    }

    private static String requestId(HttpServletRequest request) {
        return String.valueOf(request.getAttribute(RequestFilter.REQUEST_ID));
    }

    private static ResponseEntity<byte[]> relay(Upstream.Answer answer) {
        return ResponseEntity.status(answer.status()).header("Content-Type", answer.contentType()).body(answer.body());
    }
}
