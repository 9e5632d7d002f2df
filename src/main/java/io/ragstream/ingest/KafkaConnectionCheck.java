package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.SslAuthenticationException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * One connection to the brokers before the job starts, with the settings every client of the job
 * uses. A refused login or TLS handshake never gets better by retrying: without this check the
 * source's enumerator fails on it, Flink restarts the job, and it fails again, for ever. Here it is
 * a {@link ConfigException} naming the setting to fix. Brokers that do not answer are only logged:
 * they may be starting, and the source waits for them. Brokers that answer get the job's output
 * topics made where missing ({@link JobTopics#prepare}).
 */
public final class KafkaConnectionCheck {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnectionCheck.class);
    private static final int TIMEOUT_SECONDS = 20;

    private KafkaConnectionCheck() {}

    /**
     * Checks the connection, makes the output topics, and returns the brokers' cluster id (empty
     * when they did not answer).
     */
    public static Optional<String> check(RagstreamConfig config) {
        String brokers = config.get(RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS);
        Properties props =
                adminProperties(brokers, KafkaClientProperties.from(config), TIMEOUT_SECONDS);
        JobTopics topics = JobTopics.of(config);
        try (Admin admin = Admin.create(props)) {
            DescribeClusterResult cluster = admin.describeCluster();
            cluster.nodes().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            topics.prepare(admin, TIMEOUT_SECONDS);
            return Optional.ofNullable(cluster.clusterId().get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
        } catch (ExecutionException e) {
            Optional<ConfigException> refused = refusal(e.getCause(), brokers);
            if (refused.isPresent()) {
                throw refused.get();
            }
            LOG.warn(
                    "Kafka at {} did not answer the job's connection check ({}); starting anyway, the source "
                            + "waits for the brokers",
                    brokers,
                    e.getCause().getClass().getSimpleName());
        } catch (TimeoutException e) {
            LOG.warn(
                    "Kafka at {} did not answer the job's connection check within {} s; starting anyway, the source "
                            + "waits for the brokers",
                    brokers,
                    TIMEOUT_SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (org.apache.kafka.common.KafkaException e) {
            // the client refused its own settings, e.g. a truststore it cannot read, or brokers
            // that are no host:port list
            KafkaClientProperties client = KafkaClientProperties.from(config);
            String reason = client.redact(rootMessage(e));
            throw new ConfigException(
                    reason.contains(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG)
                            ? RagstreamOptions.KAFKA_BOOTSTRAP_SERVERS.key()
                            : KafkaClientProperties.PREFIX + "*",
                    "the Kafka client cannot be created with these settings: " + reason);
        }
        return Optional.empty();
    }

    /**
     * An admin client's properties: the user's {@code kafka.properties.*}, the brokers, and calls
     * that give up after {@code timeoutSeconds}.
     */
    static Properties adminProperties(
            String brokers, KafkaClientProperties client, long timeoutSeconds) {
        Properties props = client.applyTo(new Properties());
        props.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, brokers);
        props.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Long.toString(timeoutSeconds * 500));
        props.put(
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                Long.toString(timeoutSeconds * 1000));
        return props;
    }

    /**
     * The setting to blame for a failure a Kafka client reported, when it is one that no retry
     * mends; empty otherwise. The messages name the setting, never its value.
     */
    public static Optional<ConfigException> refusal(Throwable failure, String brokers) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SaslAuthenticationException) {
                return Optional.of(
                        new ConfigException(
                                KafkaClientProperties.PREFIX + "sasl.jaas.config",
                                "the brokers at "
                                        + brokers
                                        + " refused the login: check the user name and password in it and "
                                        + KafkaClientProperties.PREFIX
                                        + "sasl.mechanism (Kafka said: "
                                        + t.getMessage()
                                        + ")"));
            }
            if (t instanceof SslAuthenticationException) {
                return Optional.of(
                        new ConfigException(
                                KafkaClientProperties.PREFIX + "ssl.truststore.location",
                                "the TLS handshake with the brokers at "
                                        + brokers
                                        + " failed: the truststore must hold the CA "
                                        + "that signed their certificates, and the certificates must name the host connected to "
                                        + "(Kafka said: "
                                        + rootMessage(t)
                                        + ")"));
            }
            if (t instanceof AuthenticationException) {
                return Optional.of(
                        new ConfigException(
                                KafkaClientProperties.PREFIX + "sasl.mechanism",
                                "the brokers at "
                                        + brokers
                                        + " refused the authentication: "
                                        + t.getMessage()));
            }
        }
        return Optional.empty();
    }

    private static String rootMessage(Throwable t) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        return root.getMessage();
    }
}
