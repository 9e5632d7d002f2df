package io.ragstream.search;

import io.ragstream.chunk.DocumentChunker;

import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TenantTokensTest {
    private static final String ACME = "acme-token";
    private static final String ROTATED = "acme-token-2";
    private static final String OPS = "ops-token";

    private static final TenantTokens TOKENS =
            TenantTokens.parse(
                    List.of(
                            "# tenant, then the token's SHA-256",
                            "",
                            "acme " + DocumentChunker.sha256Hex(ACME),
                            "acme\t" + DocumentChunker.sha256Hex(ROTATED).toUpperCase(),
                            "Globex Corp "
                                    + DocumentChunker.sha256Hex(ACME), // one token, two tenants
                            "  * " + DocumentChunker.sha256Hex(OPS) + "  "),
                    "tokens.txt");

    @Test
    void aTokenOpensTheTenantsListedWithItsHashAndNoOthers() {
        assertThat(TOKENS.size()).isEqualTo(3);
        TenantTokens.Grant acme = TOKENS.grant("Bearer " + ACME);
        assertThat(acme.allows("acme")).isTrue();
        assertThat(acme.allows("Globex Corp")).isTrue();
        assertThat(acme.allows("globex corp")).as("tenants are compared exactly").isFalse();
        assertThat(acme.allows("initech")).isFalse();
        assertThat(TOKENS.grant("bearer  " + ROTATED + " ").allows("acme"))
                .as("the scheme in any case, the token without surrounding spaces")
                .isTrue();
        assertThat(TOKENS.grant("Bearer " + ROTATED).allows("Globex Corp")).isFalse();
        assertThat(TOKENS.grant("Bearer " + OPS).allows("initech")).as("*").isTrue();
    }

    @Test
    void noTokenAnotherSchemeOrAnUnlistedTokenIsNoGrant() {
        assertThat(TOKENS.grant(null)).isNull();
        assertThat(TOKENS.grant("")).isNull();
        assertThat(TOKENS.grant("Bearer")).isNull();
        assertThat(TOKENS.grant("Basic " + ACME)).isNull();
        assertThat(TOKENS.grant("Bearer " + DocumentChunker.sha256Hex(ACME)))
                .as("the hash itself is not a token")
                .isNull();
        assertThat(TOKENS.grant("Bearer " + ACME + "x")).isNull();
    }

    @Property(tries = 300)
    void anyTenantNameOnALineIsOpenedByItsTokenAndOnlyByIt(
            @ForAll String tenant, @ForAll @StringLength(min = 1, max = 80) String token) {
        Assume.that(
                tenant.strip().equals(tenant)
                        && !tenant.isEmpty()
                        && !tenant.startsWith("#")
                        && tenant.lines().count() == 1
                        && token.strip().equals(token)
                        && !token.isEmpty());
        TenantTokens tokens =
                TenantTokens.parse(
                        List.of(tenant + " " + DocumentChunker.sha256Hex(token)), "tokens.txt");

        assertThat(tokens.grant("Bearer " + token).allows(tenant)).isTrue();
        assertThat(tokens.grant("Bearer " + token).allows(tenant + "x")).isFalse();
        assertThat(tokens.grant("Bearer " + token + "x")).isNull();
        assertThat(TenantTokens.OPEN.grant(null).allows(tenant)).isTrue();
    }

    @Test
    void aLineThatIsNotTenantAndHashIsRefusedByItsNumberWithoutQuotingIt() {
        String hash = DocumentChunker.sha256Hex(ACME);
        for (String line :
                List.of(hash, "acme " + ACME, "acme " + hash + "0", "acme sha256:" + hash)) {
            assertThatThrownBy(() -> TenantTokens.parse(List.of("# header", line), "tokens.txt"))
                    .as(line)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("tokens.txt line 2: expected 'TENANT SHA256-HEX'")
                    .hasMessageNotContaining(ACME);
        }
        assertThatThrownBy(() -> TenantTokens.parse(List.of("# none yet", ""), "tokens.txt"))
                .hasMessage("tokens.txt lists no token, so no client could search");
    }
}
