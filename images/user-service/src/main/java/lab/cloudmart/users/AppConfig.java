package lab.cloudmart.users;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import java.net.http.HttpClient;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.data.redis.LettuceClientConfigurationBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.crypto.bcrypt.BCryptPasswordEncoder;
import org.springframework.security.crypto.password.PasswordEncoder;

@Configuration(proxyBeanMethods = false)
public class AppConfig {

    @Bean
    public PasswordEncoder passwordEncoder(@Value("${cloudmart.bcrypt-cost:10}") int cost) {
        return new BCryptPasswordEncoder(cost);
    }

    /**
     * Fail Redis calls at once while disconnected instead of queueing them until the timeout. These
     * options replace Boot's, so the connect timeout is set again here; cluster options also serve a
     * standalone client, so SPRING_DATA_REDIS_CLUSTER_NODES can switch to Redis Cluster.
     */
    @Bean
    public LettuceClientConfigurationBuilderCustomizer rejectWhileDisconnected(
            @Value("${spring.data.redis.connect-timeout:1s}") Duration connectTimeout) {
        return builder -> builder.clientOptions(ClusterClientOptions.builder()
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(connectTimeout).build())
                .build());
    }

    @Bean
    public HttpClient httpClient(@Value("${cloudmart.upstream.connect-timeout:2s}") Duration connectTimeout) {
        // HTTP/1.1: the upstreams speak plain HTTP/1.1, an h2c upgrade attempt would only add bytes.
        return HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(connectTimeout)
                .build();
    }
}
