package io.ragstream.embed;

import io.ragstream.testing.StubHttpServer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.ragstream.embed.OllamaBackendTest.failure;
import static io.ragstream.embed.OllamaBackendTest.json;
import static io.ragstream.embed.OllamaBackendTest.unit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link OpenAiBackend} against a real HTTP server that answers as OpenAI's API reference shows.
 */
class OpenAiBackendTest {

    private static final String KEY = "sk-test-0123456789abcdef";
    private static final String MODEL = "text-embedding-ada-002";

    /**
     * The response of OpenAI's API reference, "Create embeddings" (text-embedding-ada-002), its
     * vector cut to the three values the reference shows (it elides the other 1533).
     */
    static final String DOC_RESPONSE =
            """
            {
              "object": "list",
              "data": [
                {
                  "object": "embedding",
                  "embedding": [
                    0.0023064255,
                    -0.009327292,
                    -0.0028842222
                  ],
                  "index": 0
                }
              ],
              "model": "text-embedding-ada-002",
              "usage": {
                "prompt_tokens": 8,
                "total_tokens": 8
              }
            }
            """;

    static final float[] DOC_VECTOR = {0.0023064255f, -0.009327292f, -0.0028842222f};

    /** The input of that example. */
    static final String DOC_INPUT = "The food was delicious and the waiter...";

    private final StubHttpServer server = new StubHttpServer();
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        server.close();
    }

    private OpenAiBackend.Builder builder(int dimension) {
        return OpenAiBackend.builder(server.url())
                .model(MODEL)
                .dimension(dimension)
                .apiKeyEnv("OPENAI_API_KEY")
                .environment(Map.of("OPENAI_API_KEY", KEY)::get);
    }

    private OpenAiBackend backend(OpenAiBackend.Builder builder) {
        OpenAiBackend b = builder.build();
        toClose.add(b);
        return b;
    }

    private OpenAiBackend backend(int dimension) {
        return backend(builder(dimension));
    }

    private static List<float[]> get(CompletableFuture<List<float[]>> future) throws Exception {
        return future.get(10, TimeUnit.SECONDS);
    }

    /** Little-endian float32, base64: what encoding_format=base64 returns. */
    private static String base64(float... values) {
        ByteBuffer buffer =
                ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            buffer.putFloat(v);
        }
        return Base64.getEncoder().encodeToString(buffer.array());
    }

    private static String item(int index, String embedding) {
        return "{\"object\": \"embedding\", \"index\": "
                + index
                + ", \"embedding\": "
                + embedding
                + "}";
    }

    private static String list(String... items) {
        return "{\"object\": \"list\", \"data\": ["
                + String.join(", ", items)
                + "], \"model\": \""
                + MODEL
                + "\", \"usage\": {\"prompt_tokens\": 8, \"total_tokens\": 8}}";
    }

    @Test
    void sendsTheDocumentedRequestWithTheBearerKeyAndReadsTheDocumentedAnswer() throws Exception {
        server.reply(200, DOC_RESPONSE);
        OpenAiBackend backend =
                backend(builder(3).encodingFormat(OpenAiBackend.EncodingFormat.FLOAT));

        List<float[]> vectors = get(backend.embed(List.of(DOC_INPUT)));

        assertThat(vectors).hasSize(1);
        assertThat(vectors.get(0))
                .containsExactly(unit(DOC_VECTOR)); // cut short, it is no longer of unit length
        StubHttpServer.Request request = server.requests().get(0);
        assertThat(request.method()).isEqualTo("POST");
        assertThat(request.path()).isEqualTo("/v1/embeddings");
        assertThat(request.headers().getFirst("Authorization")).isEqualTo("Bearer " + KEY);
        assertThat(request.headers().getFirst("Content-Type")).isEqualTo("application/json");
        assertThat(request.json())
                .isEqualTo(
                        json(
                                """
                {"model": "text-embedding-ada-002", "input": ["The food was delicious and the waiter..."],
                 "encoding_format": "float"}"""));
    }

    @Test
    void theKeyIsInNoStringAndNoFailure() {
        server.reply(
                401,
                """
                {"error": {"message": "Incorrect API key provided: sk-test-***********cdef.",
                 "type": "invalid_request_error", "param": null, "code": "invalid_api_key"}}""");
        OpenAiBackend backend = backend(3);

        assertThat(backend.toString()).doesNotContain(KEY).contains("OPENAI_API_KEY");
        EmbeddingFailure f = failure(backend.embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f.status()).isEqualTo(401);
        assertThat(f)
                .hasMessageContaining("Incorrect API key provided")
                .hasMessageNotContaining(KEY);
        assertThat(server.requests().get(0).headers().getFirst("Authorization"))
                .isEqualTo("Bearer " + KEY);
    }

    @Test
    void withoutAKeyThereIsNoAuthorizationHeader() throws Exception {
        server.reply(200, DOC_RESPONSE);
        OpenAiBackend backend =
                backend(OpenAiBackend.builder(server.url()).model(MODEL).dimension(3));
        get(backend.embed(List.of(DOC_INPUT)));
        assertThat(server.requests().get(0).headers().containsKey("Authorization")).isFalse();
        assertThat(backend.toString()).contains("apiKey=none");
    }

    @Test
    void anUnsetKeyVariableMeansNoKeyAndIsNamedWhenTheServerWantsOne() {
        server.reply(
                401,
                """
                {"error": {"message": "You didn't provide an API key.", "type": "invalid_request_error",
                 "param": null, "code": null}}""");
        OpenAiBackend backend =
                backend(
                        OpenAiBackend.builder(server.url())
                                .model(MODEL)
                                .dimension(3)
                                .apiKeyEnv("RAGSTREAM_TEST_NO_SUCH_KEY")
                                .environment(name -> null));

        EmbeddingFailure f = failure(backend.embed(List.of("x")));

        assertThat(server.requests().get(0).headers().containsKey("Authorization")).isFalse();
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(f.status()).isEqualTo(401);
        assertThat(f)
                .hasMessageContainingAll(
                        "You didn't provide an API key", "RAGSTREAM_TEST_NO_SUCH_KEY is not set");
        assertThat(backend.toString()).contains("apiKey=none");
    }

    @Test
    void aKeyThatCannotBeAHeaderFailsTheBuildWithoutShowingIt() {
        assertThatThrownBy(
                        () ->
                                OpenAiBackend.builder(server.url())
                                        .model(MODEL)
                                        .dimension(3)
                                        .apiKey("sk-bad\nkey")
                                        .build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("sk-bad");
    }

    @Test
    void putsVectorsInInputOrderByTheirIndexNotTheirPlace() throws Exception {
        server.reply(200, list(item(2, "[0.6, 0.8]"), item(0, "[1, 0]"), item(1, "[0, 1]")));
        List<float[]> vectors = get(backend(2).embed(List.of("zero", "one", "two")));
        assertThat(vectors.get(0)).containsExactly(1f, 0f);
        assertThat(vectors.get(1)).containsExactly(0f, 1f);
        assertThat(vectors.get(2)).containsExactly(0.6f, 0.8f);
        assertThat(server.requests().get(0).json().get("input"))
                .isEqualTo(json("[\"zero\", \"one\", \"two\"]"));
    }

    @Test
    void asksForBase64ByDefaultAndDecodesLittleEndianFloat32() throws Exception {
        // [1.0, -2.0, 0.5] as little-endian float32: 00 00 80 3F | 00 00 00 C0 | 00 00 00 3F
        server.reply(
                200,
                list(item(1, "\"AACAPwAAAMAAAAA/\""), item(0, "\"" + base64(DOC_VECTOR) + "\"")));
        OpenAiBackend backend = backend(3);

        List<float[]> vectors = get(backend.embed(List.of("a", "b")));

        assertThat(vectors.get(0)).containsExactly(unit(DOC_VECTOR));
        assertThat(vectors.get(1)).containsExactly(unit(1.0f, -2.0f, 0.5f));
        assertThat(server.requests().get(0).json().get("encoding_format").asText())
                .isEqualTo("base64");
        assertThat(backend.encodingFormat()).isEqualTo(OpenAiBackend.EncodingFormat.BASE64);
    }

    @Test
    void fallsBackToFloatWhenTheServerRejectsBase64AndRemembers() throws Exception {
        server.reply(
                        400,
                        """
                {"error": {"message": "Invalid value for 'encoding_format': 'base64' is not supported by this server.",
                 "type": "invalid_request_error", "param": "encoding_format", "code": null}}""")
                .then(200, DOC_RESPONSE);
        OpenAiBackend backend = backend(3);

        assertThat(get(backend.embed(List.of(DOC_INPUT))).get(0)).containsExactly(unit(DOC_VECTOR));
        assertThat(get(backend.embed(List.of(DOC_INPUT))).get(0)).containsExactly(unit(DOC_VECTOR));

        assertThat(server.requests())
                .extracting(r -> r.json().get("encoding_format").asText())
                .containsExactly("base64", "float", "float");
        assertThat(server.requests())
                .allSatisfy(
                        r ->
                                assertThat(r.json().get("input"))
                                        .isEqualTo(json("[\"" + DOC_INPUT + "\"]")));
        assertThat(backend.encodingFormat()).isEqualTo(OpenAiBackend.EncodingFormat.FLOAT);
        assertThat(backend.toString()).contains("encodingFormat=FLOAT");
    }

    @Test
    void fallsBackOnAValidationErrorAboutTheEncodingToo() throws Exception {
        server.reply(
                        422,
                        """
                {"detail": [{"type": "literal_error", "loc": ["body", "encoding_format"],
                 "msg": "Input should be 'float'", "input": "base64"}]}""")
                .then(200, DOC_RESPONSE);
        assertThat(get(backend(3).embed(List.of(DOC_INPUT))).get(0))
                .containsExactly(unit(DOC_VECTOR));
        assertThat(server.requests()).hasSize(2);
    }

    @Test
    void understandsFloatsFromAServerThatIgnoresBase64() throws Exception {
        server.reply(200, DOC_RESPONSE);
        OpenAiBackend backend = backend(3);
        assertThat(get(backend.embed(List.of(DOC_INPUT))).get(0)).containsExactly(unit(DOC_VECTOR));
        assertThat(backend.encodingFormat()).isEqualTo(OpenAiBackend.EncodingFormat.BASE64);
    }

    @Test
    void anotherClientErrorIsPermanentWithTheServersMessageAndNotRetried() {
        server.reply(
                400,
                """
                {"error": {"message": "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
                 "type": "invalid_request_error", "param": null, "code": null}}""");
        EmbeddingFailure f = failure(backend(3).embed(List.of("")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f.status()).isEqualTo(400);
        assertThat(f).hasMessageContainingAll("HTTP 400", "'$.input' is invalid", MODEL);
        assertThat(server.requests()).hasSize(1);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(
            delimiter = '|',
            quoteCharacter = '`',
            value = {
                "vLLM       | {\"object\":\"error\",\"message\":\"This model's maximum context length is 512 tokens.\",\"type\":\"BadRequestError\",\"param\":null,\"code\":400} | maximum context length is 512 tokens",
                "TEI        | {\"error\":\"Input validation error: `inputs` must have less than 512 tokens\",\"error_type\":\"Validation\"} | must have less than 512 tokens",
                "LiteLLM    | {\"error\":{\"message\":\"litellm.BadRequestError: model not found\",\"type\":null,\"param\":null,\"code\":\"400\"}} | litellm.BadRequestError: model not found",
                "plain text | model not found | model not found"
            })
    void readsTheErrorMessageOfCompatibleServers(String server, String body, String message) {
        this.server.reply(400, body);
        EmbeddingFailure f = failure(backend(3).embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContaining(message);
    }

    @ParameterizedTest(name = "HTTP {0}")
    @CsvSource(
            delimiter = '|',
            value = {
                "429 | {\"error\":{\"message\":\"Rate limit reached for text-embedding-ada-002 on tokens per min (TPM). Please try again in 20ms.\",\"type\":\"tokens\",\"param\":null,\"code\":\"rate_limit_exceeded\"}} | Rate limit reached",
                "500 | {\"error\":{\"message\":\"The server had an error while processing your request. Sorry about that!\",\"type\":\"server_error\",\"param\":null,\"code\":null}} | The server had an error",
                "503 | {\"error\":{\"message\":\"The engine is currently overloaded, please try again later.\",\"type\":\"server_error\",\"param\":null,\"code\":null}} | overloaded"
            })
    void rateLimitsAndServerErrorsAreTransientWithTheirStatus(
            int status, String body, String message) {
        server.reply(status, body, Map.of("Retry-After", "1"));
        EmbeddingFailure f = failure(backend(3).embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.status()).isEqualTo(status);
        assertThat(f).hasMessageContainingAll(message, "Retry-After: 1");
        assertThat(server.requests()).hasSize(1);
    }

    @Test
    void aServerThatCannotSerialiseNanIsPermanent() {
        server.reply(500, "{\"error\":\"Out of range float values are not JSON compliant\"}");
        EmbeddingFailure f = failure(backend(3).embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f.status()).isEqualTo(500);
    }

    @Test
    void aWrongDimensionForEveryVectorIsTheEndpointsMisconfigurationInEitherEncoding() {
        server.reply(200, DOC_RESPONSE);
        EmbeddingFailure asFloats = failure(backend(1536).embed(List.of(DOC_INPUT)));
        assertThat(asFloats.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(asFloats)
                .hasMessageContainingAll("wrong dimension", "3 values", "expected 1536");

        server.reply(200, list(item(0, "\"" + base64(1, 2, 3, 4) + "\"")));
        EmbeddingFailure asBase64 = failure(backend(3).embed(List.of("x")));
        assertThat(asBase64.kind()).isEqualTo(EmbeddingFailure.Kind.MISCONFIGURED);
        assertThat(asBase64).hasMessageContainingAll("wrong dimension", "4 values", "expected 3");

        // one vector of another length among right ones: a bad answer for that input
        server.reply(200, list(item(0, "\"" + base64(1, 2, 3) + "\""), item(1, "[1, 2, 3, 4]")));
        EmbeddingFailure one = failure(backend(3).embed(List.of("x", "y")));
        assertThat(one.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(one).hasMessageContainingAll("wrong dimension", "vector 1", "4 values");

        server.reply(200, list(item(0, "\"AACAPwAA\""))); // 6 bytes: not whole floats
        assertThat(failure(backend(3).embed(List.of("x"))))
                .hasMessageContaining("not a whole number of float32")
                .extracting(EmbeddingFailure::kind)
                .isEqualTo(EmbeddingFailure.Kind.PERMANENT);
    }

    @Test
    void nanIsPermanentInEitherEncoding() {
        // JSON has no NaN: in base64 it is just bits (7FC00000 here).
        server.reply(200, list(item(0, "\"AACAPwAAwH8AAAA/\"")));
        EmbeddingFailure bits = failure(backend(3).embed(List.of("x")));
        assertThat(bits.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(bits).hasMessageContainingAll("non-finite", "at 1", "NaN");

        // orjson (vLLM and others) writes NaN as null; a sloppy encoder writes a NaN literal.
        for (String vector : List.of("[1, null, 0.5]", "[1, NaN, 0.5]", "[1, 1e39, 0.5]")) {
            server.reply(200, list(item(0, vector)));
            EmbeddingFailure f =
                    failure(
                            backend(builder(3).encodingFormat(OpenAiBackend.EncodingFormat.FLOAT))
                                    .embed(List.of("x")));
            assertThat(f.kind()).as(vector).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
            assertThat(f).as(vector).hasMessageContaining("non-finite");
        }
    }

    @Test
    void aMalformedListIsPermanent() {
        server.reply(200, list(item(0, "[1, 2, 3]")));
        assertThat(failure(backend(3).embed(List.of("a", "b"))))
                .hasMessageContaining("asked for 2 vectors, got 1");

        server.reply(200, list(item(0, "[1, 2, 3]"), item(0, "[4, 5, 6]")));
        assertThat(failure(backend(3).embed(List.of("a", "b"))))
                .hasMessageContaining("index 0 appears twice");

        server.reply(200, list(item(0, "[1, 2, 3]"), item(2, "[4, 5, 6]")));
        assertThat(failure(backend(3).embed(List.of("a", "b"))))
                .hasMessageContaining("has index 2");

        server.reply(200, list(item(0, "\"not base64!\"")));
        assertThat(failure(backend(3).embed(List.of("a"))))
                .hasMessageContaining("not valid base64");

        server.reply(
                200, "{\"object\": \"list\", \"embeddings\": [[1, 2, 3]]}"); // an Ollama answer
        EmbeddingFailure f = failure(backend(3).embed(List.of("a")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.PERMANENT);
        assertThat(f).hasMessageContaining("no \"data\" array");
    }

    @Test
    void usesThePlaceWhenAnItemHasNoIndex() throws Exception {
        server.reply(200, "{\"data\": [{\"embedding\": [1, 0]}, {\"embedding\": [0, 1]}]}");
        List<float[]> vectors = get(backend(2).embed(List.of("a", "b")));
        assertThat(vectors.get(0)).containsExactly(1f, 0f);
        assertThat(vectors.get(1)).containsExactly(0f, 1f);
    }

    @Test
    void aSuccessThatIsNotJsonIsTransient() {
        server.reply(200, "<html><body>Gateway login</body></html>");
        EmbeddingFailure f = failure(backend(3).embed(List.of("x")));
        assertThat(f.kind()).isEqualTo(EmbeddingFailure.Kind.TRANSIENT);
        assertThat(f.status()).isEqualTo(200);
    }

    @Test
    void findsTheEmbeddingsPathWhateverTheBaseUrl() {
        for (String url :
                List.of(
                        "http://vllm:8000",
                        "http://vllm:8000/",
                        "http://vllm:8000/v1",
                        "http://vllm:8000/v1/",
                        "http://vllm:8000/v1/embeddings")) {
            assertThat(OpenAiBackend.embeddingsUri(EndpointUrls.base(url)))
                    .as(url)
                    .hasToString("http://vllm:8000/v1/embeddings");
        }
        assertThat(OpenAiBackend.embeddingsUri(EndpointUrls.base("https://api.groq.com/openai/v1")))
                .isEqualTo(URI.create("https://api.groq.com/openai/v1/embeddings"));
        assertThat(OpenAiBackend.embeddingsUri(EndpointUrls.base("http://litellm:4000/team-a")))
                .isEqualTo(URI.create("http://litellm:4000/team-a/v1/embeddings"));
        assertThat(
                        OpenAiBackend.embeddingsUri(
                                EndpointUrls.base(
                                        "https://gw.example/embed/embeddings?api-version=2")))
                .isEqualTo(URI.create("https://gw.example/embed/embeddings?api-version=2"));
    }

    @Test
    void sendsToTheV1PathOfTheStubWhenGivenWithV1() throws Exception {
        server.reply(200, DOC_RESPONSE);
        get(
                backend(OpenAiBackend.builder(server.url() + "/v1/").model(MODEL).dimension(3))
                        .embed(List.of(DOC_INPUT)));
        assertThat(server.requests().get(0).path()).isEqualTo("/v1/embeddings");
    }
}
