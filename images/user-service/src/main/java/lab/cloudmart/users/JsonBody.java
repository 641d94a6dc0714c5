package lab.cloudmart.users;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import org.springframework.http.HttpStatus;

/**
 * Request bodies are read as JSON whatever their Content-Type, so `curl -d '{...}'` (which sends
 * a form type) works in the lab as it does from the frontends. The stream is read directly:
 * Spring would turn a form-typed body into re-encoded request parameters.
 */
final class JsonBody {

    private static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private JsonBody() {}

    static <T> T read(HttpServletRequest request, Class<T> type) {
        try {
            T value = JSON.readValue(request.getInputStream(), type);
            if (value == null) {
                throw new ApiException(HttpStatus.BAD_REQUEST, "request body must be a JSON object");
            }
            return value;
        } catch (IOException e) {
            throw new ApiException(HttpStatus.BAD_REQUEST, "request body must be a JSON object");
        }
    }
}
