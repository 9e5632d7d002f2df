package io.ragstream.config;

import org.apache.flink.configuration.ConfigOption;

import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every setting the job reads is in the README, by its dotted name or as a line of its YAML
 * reference ({@code status-topic: ...}, or commented out, {@code # group-id: ...}): a key a user
 * cannot find might as well not exist.
 */
class ConfigurationReferenceTest {
    @Test
    void everyKeyIsInTheReadme() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        List<String> missing = new ArrayList<>();
        for (Field field : RagstreamOptions.class.getFields()) {
            if (!Modifier.isStatic(field.getModifiers())
                    || !ConfigOption.class.isAssignableFrom(field.getType())) {
                continue;
            }
            String key = ((ConfigOption<?>) field.get(null)).key();
            String leaf = key.substring(key.lastIndexOf('.') + 1);
            boolean documented =
                    readme.contains(key)
                            || Pattern.compile(
                                            "^\\s*(#\\s*)?" + Pattern.quote(leaf) + ":",
                                            Pattern.MULTILINE)
                                    .matcher(readme)
                                    .find();
            if (!documented) {
                missing.add(key);
            }
        }
        assertThat(missing).as("settings the README does not mention").isEmpty();
    }
}
