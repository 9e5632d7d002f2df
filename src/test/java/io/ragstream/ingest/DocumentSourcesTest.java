package io.ragstream.ingest;

import io.ragstream.config.ConfigException;
import io.ragstream.config.RagstreamConfig;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DocumentSourcesTest {
    @Test
    void aRequiredTenantWithoutATenantColumnForTheChangeEventsIsAConfigurationError() {
        assertThatThrownBy(
                        () ->
                                DocumentSources.parser(
                                        RagstreamConfig.of(
                                                Map.of(
                                                        "ingest.require-tenant", "true",
                                                        "kafka.cdc-topics", "shop.public.docs",
                                                        "cdc.tenant-column", ""))))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'ingest.require-tenant'")
                .hasMessageContaining("cdc.tenant-column names no column of the change events on")
                .hasMessageContaining("shop.public.docs");
    }

    @Test
    void aTenantColumnOrNoRequirementOrNoChangeEventsIsFine() {
        for (Map<String, String> settings :
                List.of(
                        Map.of(
                                "ingest.require-tenant",
                                "true",
                                "kafka.cdc-topics",
                                "shop.public.docs"),
                        Map.of("kafka.cdc-topics", "shop.public.docs", "cdc.tenant-column", ""),
                        Map.of("ingest.require-tenant", "true", "cdc.tenant-column", ""))) {
            assertThat(DocumentSources.parser(RagstreamConfig.of(settings)))
                    .as(settings.toString())
                    .isNotNull();
        }
    }
}
