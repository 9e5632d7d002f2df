package io.ragstream.embed;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class EndpointUrlsTest {

    @Test
    void aConfiguredUrlLosesItsTrailingSlashesAndKeepsItsQuery() {
        assertThat(EndpointUrls.base("http://gpu-1:11434")).hasToString("http://gpu-1:11434");
        assertThat(EndpointUrls.base(" http://gpu-1:11434/api// "))
                .hasToString("http://gpu-1:11434/api");
        assertThat(EndpointUrls.base("HTTPS://gw.example/v1/?api-version=2"))
                .hasToString("HTTPS://gw.example/v1?api-version=2");
    }

    @Test
    void onlyHttpUrlsWithAHostAndNeitherCredentialsNorFragmentAreEndpoints() {
        for (String url : List.of("gpu-1:11434", "ftp://gpu-1/", "file:///tmp/x")) {
            assertThatThrownBy(() -> EndpointUrls.base(url))
                    .as(url)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("http");
        }
        assertThatThrownBy(() -> EndpointUrls.base("http:///path")).hasMessageContaining("no host");
        assertThatThrownBy(() -> EndpointUrls.base("http://user:s3cret@gpu-1:11434"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("credentials")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> EndpointUrls.base("http://gpu-1:11434/#part"))
                .hasMessageContaining("fragment");
        assertThatThrownBy(() -> EndpointUrls.base("http://gpu 1:11434"))
                .hasMessageContaining("not a URL");
    }

    @Test
    void aShownUrlHidesItsUserInfoAndQuery() {
        assertThat(EndpointUrls.redacted(URI.create("https://gw.example:8443/v1?key=s3cret")))
                .isEqualTo("https://gw.example:8443/v1?***");
        assertThat(EndpointUrls.redacted(URI.create("http://me:s3cret@gpu-1/api")))
                .isEqualTo("http://***@gpu-1/api");
        assertThat(EndpointUrls.redacted(URI.create("http://gpu-1:11434")))
                .isEqualTo("http://gpu-1:11434");
    }

    @Test
    void anApiPathReplacesThePathAndKeepsTheQuery() {
        assertThat(
                        EndpointUrls.withPath(
                                URI.create("https://gw.example:8443/team?api-version=2"),
                                "/team/v1/embeddings"))
                .isEqualTo(URI.create("https://gw.example:8443/team/v1/embeddings?api-version=2"));
        assertThat(EndpointUrls.withPath(URI.create("http://gpu-1:11434"), "/api/embed"))
                .isEqualTo(URI.create("http://gpu-1:11434/api/embed"));
    }
}
