package io.ragstream.cli;

import io.ragstream.config.RagstreamConfig;
import io.ragstream.config.RagstreamOptions;
import io.ragstream.corpus.CorpusDocument;
import io.ragstream.corpus.CorpusPublisher;
import io.ragstream.corpus.CorpusReader;

import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

@Command(
        name = "produce",
        mixinStandardHelpOptions = true,
        description =
                "Publish JSONL documents, a BEIR corpus.jsonl(.gz) or a folder of text files.")
final class ProduceCommand implements Callable<Integer> {
    @Mixin ConfigMixin config;

    @Option(
            names = "--topic",
            description = "Topic to publish to (default: kafka.documents-topic).")
    String topic;

    @Option(
            names = "--tenant",
            defaultValue = "default",
            description = "Tenant of documents that name none.")
    String tenant;

    @Parameters(arity = "1..*", paramLabel = "FILE", description = "Files or folders to publish.")
    List<Path> files;

    @Override
    public Integer call() throws Exception {
        RagstreamConfig cfg = config.load();
        List<CorpusDocument> docs = new CorpusReader(tenant).read(files);
        String target = topic != null ? topic : cfg.get(RagstreamOptions.KAFKA_DOCUMENTS_TOPIC);
        CorpusPublisher.publish(cfg, target, docs);
        System.out.println("published " + docs.size() + " documents to " + target);
        return 0;
    }
}
