package lab.cloudmart.users;

import org.springframework.http.HttpStatus;

/** An error answered as {"error": message} with its status. */
public class ApiException extends RuntimeException {

    private final HttpStatus status;

    public ApiException(HttpStatus status, String message) {
        super(message);
        this.status = status;
    }

    public HttpStatus status() {
        return status;
    }
}
