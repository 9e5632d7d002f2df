package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.KafkaClientProperties;
import io.ragstream.config.PipelineIdentity;
import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;

import org.apache.flink.configuration.ConfigOption;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.DescribeConsumerGroupsOptions;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ClusterAuthorizationException;
import org.apache.kafka.common.errors.GroupAuthorizationException;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.InvalidReplicationFactorException;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.PolicyViolationException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.Serializable;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
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

    /** The source's consumer group. */
    private final String group;

    private final String dlq;

    /**
     * {@code kafka.dlq-max-value-bytes}: what a dead letter carries of a record's key and value.
     */
    private final int letterValueCap;

    private JobTopics(String group, String dlq, int letterValueCap) {
        this.group = group;
        this.dlq = dlq;
        this.letterValueCap = letterValueCap;
    }

    /**
     * The job's topics, each a legal name, no CDC topic also the documents topic, and no output
     * also an input: the job would read its own dead letters or status records as documents.
     */
    public static JobTopics of(RagstreamConfig config) {
        JobTopics topics =
                new JobTopics(
                        PipelineIdentity.consumerGroup(config),
                        config.get(RagstreamOptions.KAFKA_DLQ_TOPIC),
                        config.get(RagstreamOptions.KAFKA_DLQ_MAX_VALUE_BYTES));
        topics.inputs.put(
                legal(
                        RagstreamOptions.KAFKA_DOCUMENTS_TOPIC,
                        config.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC)),
                RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        for (String cdc : config.get(RagstreamOptions.KAFKA_CDC_TOPICS)) {
            if (topics.inputs.get(legal(RagstreamOptions.KAFKA_CDC_TOPICS, cdc))
                    == RagstreamOptions.KAFKA_DOCUMENTS_TOPIC) {
                throw new ConfigException(
                        RagstreamOptions.KAFKA_CDC_TOPICS.key(),
                        "'"
                                + cdc
                                + "' is also kafka.documents-topic: its records would be read as"
                                + " Debezium change events, and every document event dead-lettered");
            }
            topics.inputs.put(cdc, RagstreamOptions.KAFKA_CDC_TOPICS);
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
     * make them anyway; the others (as on many managed Kafka services) would keep the first
     * record's producer waiting for a topic that never comes, fail the job, and fail it again after
     * every restart. One that the brokers refuse to create is a {@link ConfigException} naming its
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
        Map<String, String> missing = new LinkedHashMap<>();
        outputs.forEach(
                (topic, option) -> {
                    if (!existing.contains(topic)) {
                        missing.put(topic, option.key());
                    }
                });
        Map<String, Throwable> notMade = create(admin, missing, timeoutSeconds);
        notMade.forEach(
                (topic, failure) -> {
                    if (isRefusal(failure)) {
                        throw new ConfigException(
                                missing.get(topic),
                                "topic '"
                                        + topic
                                        + "' does not exist (or this client may not"
                                        + " DESCRIBE it), and the brokers refused to create"
                                        + " it ("
                                        + failure.getMessage()
                                        + "): create it, or name one that exists");
                    }
                    LOG.warn(
                            "{}: could not create topic '{}' ({}); the job starts, and its"
                                    + " writer tries again",
                            missing.get(topic),
                            topic,
                            String.valueOf(failure));
                });
        Set<String> visible = new HashSet<>(existing);
        visible.addAll(missing.keySet());
        visible.removeAll(notMade.keySet());
        requireAccess(admin, visible, timeoutSeconds);
        requireLettersFit(admin, timeoutSeconds);
    }

    /**
     * The largest dead letter against the dead-letter topic's {@code max.message.bytes}: a topic
     * made to take less than the brokers' default refused such a letter, which failed the task,
     * replayed the record and failed it again, for ever. Unchecked where this client may not read
     * the topic's configuration.
     */
    private void requireLettersFit(Admin admin, long timeoutSeconds)
            throws InterruptedException, TimeoutException {
        ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, dlq);
        int takes;
        try {
            ConfigEntry entry =
                    admin.describeConfigs(List.of(topic))
                            .all()
                            .get(timeoutSeconds, TimeUnit.SECONDS)
                            .get(topic)
                            .get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
            if (entry == null || entry.value() == null) {
                return;
            }
            takes = Integer.parseInt(entry.value());
        } catch (ExecutionException | NumberFormatException e) {
            LOG.debug("Could not read the max.message.bytes of topic '{}'", dlq, e);
            return;
        }
        long largest = DeadLetterSerializer.worstCaseBytes(letterValueCap);
        if (largest <= takes) {
            return;
        }
        int fits = DeadLetterSerializer.largestMaxValueBytes(takes);
        if (fits <= 0) {
            throw new ConfigException(
                    RagstreamOptions.KAFKA_DLQ_TOPIC.key(),
                    "topic '"
                            + dlq
                            + "' takes records of at most "
                            + takes
                            + " bytes (max.message.bytes), too few for a dead letter's reason,"
                            + " source and excerpts: raise it");
        }
        throw new ConfigException(
                RagstreamOptions.KAFKA_DLQ_MAX_VALUE_BYTES.key(),
                "is "
                        + letterValueCap
                        + ", so a dead letter may take "
                        + largest
                        + " bytes, and topic '"
                        + dlq
                        + "' takes at most "
                        + takes
                        + " (max.message.bytes): set it to at most "
                        + fits
                        + ", or raise the topic's max.message.bytes");
    }

    /**
     * What the job does with each topic this client sees ({@code visible}) and with its consumer
     * group, against what the brokers' ACLs let this client do. A grant left out surfaces only when
     * the job first needs it, and then at every restart: no WRITE on the dead-letter topic failed
     * the task at the first bad record, no READ on a topic or the group failed the source. Brokers
     * that do not say (no authorizer reports all operations; an older broker none) are taken at
     * their word.
     */
    private void requireAccess(Admin admin, Set<String> visible, long timeoutSeconds)
            throws InterruptedException, ExecutionException, TimeoutException {
        Map<String, Set<AclOperation>> needed = new LinkedHashMap<>();
        inputs.keySet().forEach(topic -> needed.put(topic, EnumSet.of(AclOperation.READ)));
        outputs.forEach(
                (topic, option) ->
                        needed.put(
                                topic,
                                topic.equals(dlq)
                                        // a rejected chunk's letter is read back
                                        ? EnumSet.of(AclOperation.READ, AclOperation.WRITE)
                                        : EnumSet.of(AclOperation.WRITE)));
        List<String> described = needed.keySet().stream().filter(visible::contains).toList();
        Map<String, TopicDescription> descriptions =
                described.isEmpty()
                        ? Map.of()
                        : admin.describeTopics(
                                        described,
                                        new DescribeTopicsOptions()
                                                .includeAuthorizedOperations(true))
                                .allTopicNames()
                                .get(timeoutSeconds, TimeUnit.SECONDS);
        descriptions.forEach(
                (topic, description) -> {
                    Set<AclOperation> allowed = description.authorizedOperations();
                    missing(needed.get(topic), allowed)
                            .ifPresent(
                                    lacking -> {
                                        throw new ConfigException(
                                                (inputs.containsKey(topic) ? inputs : outputs)
                                                        .get(topic)
                                                        .key(),
                                                "this client may not "
                                                        + lacking
                                                        + " topic '"
                                                        + topic
                                                        + "' (the brokers' ACLs allow it "
                                                        + allowed
                                                        + "); the job needs "
                                                        + needed.get(topic)
                                                        + " there: grant them to its principal");
                                    });
                });
        requireGroupRead(admin, timeoutSeconds);
    }

    /** The group is read: its committed offsets at the start, a commit at every checkpoint. */
    private void requireGroupRead(Admin admin, long timeoutSeconds)
            throws InterruptedException, ExecutionException, TimeoutException {
        try {
            Set<AclOperation> allowed =
                    admin.describeConsumerGroups(
                                    List.of(group),
                                    new DescribeConsumerGroupsOptions()
                                            .includeAuthorizedOperations(true))
                            .describedGroups()
                            .get(group)
                            .get(timeoutSeconds, TimeUnit.SECONDS)
                            .authorizedOperations();
            if (missing(EnumSet.of(AclOperation.READ), allowed).isPresent()) {
                throw groupUnread("the brokers' ACLs allow it " + allowed);
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof GroupAuthorizationException) {
                throw groupUnread("nor describe it");
            }
            if (!(e.getCause() instanceof GroupIdNotFoundException)) {
                throw e;
            }
            // a group not made yet has no operations to report; its offsets can still be asked
            try {
                admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata()
                        .get(timeoutSeconds, TimeUnit.SECONDS);
            } catch (ExecutionException offsets) {
                if (offsets.getCause() instanceof GroupAuthorizationException) {
                    throw groupUnread("nor describe it");
                }
                throw offsets;
            }
        }
    }

    private ConfigException groupUnread(String allowed) {
        return new ConfigException(
                RagstreamOptions.KAFKA_GROUP_ID.key(),
                "this client may not READ consumer group '"
                        + group
                        + "' ("
                        + allowed
                        + "), the source's: its offsets are read at the start and committed at"
                        + " every checkpoint; grant READ on it to the job's principal");
    }

    /**
     * What of {@code needed} {@code allowed} lacks; empty when nothing, or when the brokers did not
     * say.
     */
    static Optional<Set<AclOperation>> missing(
            Set<AclOperation> needed, Set<AclOperation> allowed) {
        if (allowed == null || allowed.contains(AclOperation.ALL)) {
            return Optional.empty();
        }
        Set<AclOperation> lacking = EnumSet.copyOf(needed);
        lacking.removeAll(allowed);
        return lacking.isEmpty() ? Optional.empty() : Optional.of(lacking);
    }

    /**
     * One topic the job writes, as its writer sees it: {@link #makeIfMissing} at every start of the
     * writer (from its serializer's {@code open}) does what {@link #prepare} does where the job's
     * start could not (the brokers were away then), so that a restart mends it. The client
     * properties' {@code toString()} hides secret values.
     */
    public record Output(
            String bootstrapServers, KafkaClientProperties client, String topic, String key)
            implements Serializable {
        private static final long TIMEOUT_SECONDS = 10;

        /** Never fails the task: what goes wrong is logged, and the first record shows it again. */
        public void makeIfMissing() {
            try (Admin admin =
                    Admin.create(
                            KafkaConnectionCheck.adminProperties(
                                    bootstrapServers, client, TIMEOUT_SECONDS))) {
                if (!admin.listTopics()
                        .names()
                        .get(TIMEOUT_SECONDS, TimeUnit.SECONDS)
                        .contains(topic)) {
                    create(admin, Map.of(topic, key), TIMEOUT_SECONDS)
                            .forEach(
                                    (t, failure) ->
                                            LOG.warn(
                                                    "{}: topic '{}' is missing and could not be created ({})",
                                                    key,
                                                    t,
                                                    client.redact(String.valueOf(failure))));
                } else {
                    // another subtask may have made it a moment ago
                    awaitLeaders(admin, topic, TIMEOUT_SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Exception e) {
                LOG.warn(
                        "{}: could not check that topic '{}' exists ({})",
                        key,
                        topic,
                        client.redact(e.toString()));
            }
        }
    }

    /**
     * Creates the topics (name → the setting naming it) with the brokers' defaults; returns why
     * each that is still missing was not made.
     */
    private static Map<String, Throwable> create(
            Admin admin, Map<String, String> topics, long timeoutSeconds)
            throws InterruptedException, TimeoutException {
        Map<String, Throwable> failed = new LinkedHashMap<>();
        if (topics.isEmpty()) {
            return failed;
        }
        var created =
                admin.createTopics(
                                topics.keySet().stream()
                                        .map(
                                                t ->
                                                        new NewTopic(
                                                                t,
                                                                Optional.empty(),
                                                                Optional.empty()))
                                        .toList())
                        .values();
        for (Map.Entry<String, String> topic : topics.entrySet()) {
            try {
                try {
                    created.get(topic.getKey()).get(timeoutSeconds, TimeUnit.SECONDS);
                    LOG.info(
                            "{}: created topic '{}' with the brokers' defaults",
                            topic.getValue(),
                            topic.getKey());
                } catch (ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    } // made meanwhile, maybe by another subtask a moment ago
                }
                awaitLeaders(admin, topic.getKey(), timeoutSeconds);
            } catch (ExecutionException e) {
                failed.put(topic.getKey(), e.getCause());
            }
        }
        return failed;
    }

    /**
     * Until every partition's leader answers for it. A topic's metadata names its leaders a moment
     * before they host the partitions, and a broker may not know a topic the controller just made;
     * an idempotent producer that sends then can have its first batch refused and the next one
     * accepted, so the first is out of order for good, its records expire and the job fails
     * (JdbcBackfillIT once in CI; 3 rounds in 60 of 4 producers at once on a topic just made, none
     * in 120 with this wait). Offsets are answered by the leader once it hosts the partition.
     */
    private static void awaitLeaders(Admin admin, String topic, long timeoutSeconds)
            throws InterruptedException, TimeoutException, ExecutionException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (true) {
            try {
                TopicDescription description =
                        admin.describeTopics(List.of(topic))
                                .allTopicNames()
                                .get(timeoutSeconds, TimeUnit.SECONDS)
                                .get(topic);
                Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
                description
                        .partitions()
                        .forEach(
                                p ->
                                        latest.put(
                                                new TopicPartition(topic, p.partition()),
                                                OffsetSpec.latest()));
                admin.listOffsets(latest).all().get(timeoutSeconds, TimeUnit.SECONDS);
                return;
            } catch (ExecutionException e) {
                // the broker answering may not know the topic yet: its metadata follows the
                // controller's
                if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(50);
            }
        }
    }

    /** A refusal that no retry mends. */
    private static boolean isRefusal(Throwable failure) {
        return failure instanceof InvalidTopicException
                || failure instanceof TopicAuthorizationException
                || failure instanceof ClusterAuthorizationException
                || failure instanceof PolicyViolationException
                || failure instanceof InvalidReplicationFactorException;
    }
}
