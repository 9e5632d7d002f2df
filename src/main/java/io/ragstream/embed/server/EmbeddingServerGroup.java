package io.ragstream.embed.server;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * Several {@link EmbeddingServer}s with the same settings: a local stand-in for a pool of GPU
 * servers. With a port {@code p}, they listen on {@code p, p+1, ...}; with port 0, each on a free
 * port. Each can then be configured, taken down and brought up on its own.
 */
public final class EmbeddingServerGroup implements AutoCloseable {

    private final List<EmbeddingServer> servers;

    private EmbeddingServerGroup(List<EmbeddingServer> servers) {
        this.servers = List.copyOf(servers);
    }

    /** Starts {@code count} servers; when one fails to start, closes the others and throws. */
    public static EmbeddingServerGroup start(int count, EmbeddingServerOptions options)
            throws IOException {
        if (count < 1) {
            throw new IllegalArgumentException("count must be at least 1, got " + count);
        }
        if (options.port() > 0 && options.port() + count - 1 > 65535) {
            throw new IllegalArgumentException(
                    "ports "
                            + options.port()
                            + ".."
                            + (options.port() + count - 1)
                            + " go past 65535");
        }
        List<EmbeddingServer> started = new ArrayList<>(count);
        try {
            for (int i = 0; i < count; i++) {
                int port = options.port() == 0 ? 0 : options.port() + i;
                started.add(EmbeddingServer.start(options.withPort(port)));
            }
        } catch (IOException | RuntimeException e) {
            started.forEach(EmbeddingServer::close);
            throw e;
        }
        return new EmbeddingServerGroup(started);
    }

    public List<EmbeddingServer> servers() {
        return servers;
    }

    public EmbeddingServer get(int index) {
        return servers.get(index);
    }

    public int size() {
        return servers.size();
    }

    /** The base URLs, {@code http://127.0.0.1:PORT}, in order. */
    public List<URI> urls() {
        return servers.stream().map(EmbeddingServer::url).toList();
    }

    /** Each server's counters, in order. */
    public List<EmbeddingServerStats.Snapshot> stats() {
        return servers.stream().map(s -> s.stats().snapshot()).toList();
    }

    @Override
    public void close() {
        servers.forEach(EmbeddingServer::close);
    }
}
