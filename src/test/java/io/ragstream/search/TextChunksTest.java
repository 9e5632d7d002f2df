package io.ragstream.search;

import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TextChunksTest {
    @Test
    void theQueryVectorWeighsEachWordTheTenantHoldsByItsInverseDocumentFrequency() {
        Map<String, Integer> words = new LinkedHashMap<>();
        words.put("volcano", 7);
        words.put("erupt", 3);
        words.put("lava", 3); // another word at the same dimension: their weights add up
        words.put("unheard", 5); // in no chunk of the tenant: no weight
        Map<String, Long> counts = new HashMap<>();
        counts.put(null, 10L);
        counts.put("volcano", 1L);
        counts.put("erupt", 10L);
        counts.put("lava", 4L);
        counts.put("unheard", 0L);
        float volcano = (float) Math.log(1 + 9.5 / 1.5);
        float eruptAndLava = (float) (Math.log(1 + 0.5 / 10.5) + Math.log(1 + 6.5 / 4.5));
        assertThat(TextChunks.queryVector(words, counts))
                .isEqualTo("{3:" + eruptAndLava + ",7:" + volcano + "}/1000000000");
        counts.put("volcano", 0L);
        counts.put("erupt", 0L);
        counts.put("lava", 0L);
        assertThat(TextChunks.queryVector(words, counts)).isNull();
    }
}
