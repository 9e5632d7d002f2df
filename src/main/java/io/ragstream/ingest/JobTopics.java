package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.configuration.ConfigOption;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * The Kafka topics the job reads and writes, by the setting that names each. The names are checked
 * with the configuration; the topics themselves at the start, against the brokers ({@link
 * #prepare}).
 */
public final class JobTopics {
    private static final Logger LOG = LoggerFactory.getLogger(JobTopics.class);

    /** Kafka's own rule for a topic name; a producer refuses any other at its first record. */
    private static final Pattern LEGAL_NAME = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private final Map<String, ConfigOption<?>> inputs = new LinkedHashMap<>();
    private final Map<String, ConfigOption<?>> outputs = new LinkedHashMap<>();

    private JobTopics() {}

    /**
     * The job's topics, each a legal name, and no output also an input: the job would read its own
     * dead letters or status records as documents.
     */
    public static JobTopics of(RagstreamConfig config) {
        JobTopics topics = new JobTopics();
        topics.inputs.put(
                legal(
                        RagstreamOptions.KAFKA_DOCUMENTS_TOPIC,
                        config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC)),
                RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        for (String cdc : config.get(RagstreamOptions.KAFKA_CDC_TOPICS)) {
            topics.inputs.put(
                    legal(RagstreamOptions.KAFKA_CDC_TOPICS, cdc),
                    RagstreamOptions.KAFKA_CDC_TOPICS);
        }
        for (ConfigOption<String> output :
                List.of(RagstreamOptions.KAFKA_DLQ_TOPIC, RagstreamOptions.KAFKA_STATUS_TOPIC)) {
            String topic = legal(output, config.get(output));
            if (topics.inputs.containsKey(topic)) {
                throw new ConfigException(
                        output.key(),
                        "'"
                                + topic
                                + "' is also an input topic: the job would read what it writes there"
                                + " as documents; give it a topic of its own");
            }
            topics.outputs.put(topic, output);
        }
        return topics;
    }

    private static String legal(ConfigOption<?> option, String topic) {
        if (!LEGAL_NAME.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
            throw new ConfigException(
                    option.key(),
                    "'"
                            + topic
                            + "' is not a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ -, and not"
                            + " '.' or '..'");
        }
        return topic;
    }

    /**
     * Makes the topics the job writes (the dead letters, the status records) where they are
     * missing, with the brokers' defaults. Brokers that create a topic at its first record would
     * make them anyway; the others (managed Kafka services usually) would keep the first record's
     * producer waiting for a topic that never comes, fail the job, and fail it again after every
     * restart. One that the brokers refuse to create is a {@link ConfigException} naming its
     * setting. A topic the job reads may come later: the source picks it up when it appears, and a
     * warning names the setting in case it is a typo.
     */
    void prepare(Admin admin, long timeoutSeconds)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(timeoutSeconds, TimeUnit.SECONDS);
        inputs.forEach(
                (topic, option) -> {
                    if (!existing.contains(topic)) {
                        LOG.warn(
                                "{}: topic '{}' does not exist (or this client may not describe it);"
                                        + " the job reads it once it does",
                                option.key(),
                                topic);
                    }
                });
        List<NewTopic> missing =
                outputs.keySet().stream()
                        .filter(topic -> !existing.contains(topic))
                        .map(topic -> new NewTopic(topic, Optional.empty(), Optional.empty()))
                        .toList();
        if (missing.isEmpty()) {
            return;
        }
        var created = admin.createTopics(missing).values();
        for (NewTopic topic : missing) {
            ConfigOption<?> option = outputs.get(topic.name());
            try {
                created.get(topic.name()).get(timeoutSeconds, TimeUnit.SECONDS);
                LOG.info(
                        "{}: created topic '{}' with the brokers' defaults",
                        option.key(),
                        topic.name());
            } catch (ExecutionException e) {
                notCreated(option, topic.name(), e.getCause());
            }
        }
    }

    /**
     * A refusal that no retry mends fails the start, naming the setting; anything else is only
     * logged.
     */
    private static void notCreated(ConfigOption<?> option, String topic, Throwable failure) {
        if (failure instanceof TopicExistsException) {
            return; // made meanwhile, or not describable by this client
        }
        if (failure instanceof InvalidTopicException
                || failure instanceof TopicAuthorizationException
                || failure instanceof ClusterAuthorizationException
                || failure instanceof PolicyViolationException
                || failure instanceof InvalidReplicationFactorException) {
            throw new ConfigException(
                    option.key(),
                    "topic '"
                            + topic
                            + "' does not exist, and the brokers refused to create it ("
                            + failure.getMessage()
                            + "): create it, or name one that exists");
        }
        LOG.warn(
                "{}: could not create topic '{}' ({}); the job starts, and its first record there"
                        + " will tell",
                option.key(),
                topic,
                failure instanceof ApiException ? failure.getMessage() : String.valueOf(failure));
    }
}
