package lab.cloudmart.users;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.event.KeyValuePair;
import org.springframework.boot.logging.structured.StructuredLogFormatter;

/**
 * One JSON object per line in the platform's shape: {"ts","level","service","msg",...}. Key-value
 * pairs added with SLF4J's fluent API become top-level fields, so a request line carries method,
 * path, status and duration_ms as numbers and strings a log query can filter on.
 */
public class JsonLogFormatter implements StructuredLogFormatter<ILoggingEvent> {

    static final String SERVICE = "user-service";
    private static final ObjectMapper JSON = new ObjectMapper();

    @Override
    public String format(ILoggingEvent event) {
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("ts", Instant.ofEpochMilli(event.getTimeStamp()).toString());
        line.put("level", event.getLevel().toString().toLowerCase());
        line.put("service", SERVICE);
        line.put("msg", event.getFormattedMessage());
        line.put("logger", event.getLoggerName());
        if (event.getKeyValuePairs() != null) {
            for (KeyValuePair pair : event.getKeyValuePairs()) {
                line.putIfAbsent(pair.key, pair.value);
            }
        }
        IThrowableProxy error = event.getThrowableProxy();
        if (error != null) {
            line.put("error", error.getClassName() + ": " + error.getMessage());
            line.put("stack", ThrowableProxyUtil.asString(error));
        }
        try {
            return JSON.writeValueAsString(line) + "\n";
        } catch (JsonProcessingException e) {
            // A value Jackson cannot write must not lose the line: fall back to its text.
            line.replaceAll((key, value) -> value == null ? null : String.valueOf(value));
            try {
                return JSON.writeValueAsString(line) + "\n";
            } catch (JsonProcessingException again) {
                return "{\"level\":\"error\",\"service\":\"user-service\",\"msg\":\"unloggable event\"}\n";
            }
        }
    }
}
