package io.ragstream.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy in front of a server (PostgreSQL, in the tests), so a test can break the network
 * between the job and the server the ways real networks break: {@link #cut} resets every open
 * connection, as a restarted firewall or load balancer does; {@link #blackHole} stops passing bytes
 * either way while every socket stays open, as a dead route or a frozen peer does (no FIN, no RST:
 * only a timeout notices); {@link #heal} lets bytes flow again.
 */
public final class TcpProxy implements AutoCloseable {
    private final ServerSocket server;
    private final InetSocketAddress target;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile boolean blackHoled;
    private volatile boolean closed;

    private TcpProxy(ServerSocket server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
    }

    /** A proxy on a free port of 127.0.0.1 to {@code host:port}. */
    public static TcpProxy start(String host, int port) throws IOException {
        TcpProxy proxy =
                new TcpProxy(
                        new ServerSocket(0, 50, InetAddress.getLoopbackAddress()),
                        new InetSocketAddress(host, port));
        Thread acceptor = new Thread(proxy::accept, "tcp-proxy-accept-" + proxy.port());
        acceptor.setDaemon(true);
        acceptor.start();
        return proxy;
    }

    /** {@code url} with its {@code host:port} replaced by this proxy's. */
    public String proxied(String jdbcUrl) {
        return jdbcUrl.replace(
                target.getHostString() + ":" + target.getPort(), "127.0.0.1:" + port());
    }

    public int port() {
        return server.getLocalPort();
    }

    /** Connections clients opened through it so far. */
    public int accepted() {
        return accepted.get();
    }

    /** Resets every open connection (new ones are still accepted). */
    public void cut() {
        for (Socket socket : sockets) {
            try {
                socket.setSoLinger(
                        true, 0); // close with RST, as a middlebox that forgot the connection
                socket.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
        sockets.clear();
    }

    /** From now on no byte passes, either way, on open or new connections; nothing is closed. */
    public void blackHole() {
        blackHoled = true;
    }

    public void heal() {
        synchronized (gate) {
            blackHoled = false;
            gate.notifyAll();
        }
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = server.accept();
                accepted.incrementAndGet();
                Socket upstream = new Socket();
                try {
                    upstream.connect(target, 5_000);
                } catch (IOException e) {
                    // the server is down (a restart, say): refuse the client as the server would
                    // have, instead of leaving it connected to nothing until its own timeout
                    closeQuietly(upstream);
                    closeQuietly(client);
                    continue;
                }
                sockets.add(client);
                sockets.add(upstream);
                pump(client, upstream);
                pump(upstream, client);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to) {
        Thread thread =
                new Thread(
                        () -> {
                            byte[] buffer = new byte[16 * 1024];
                            try (InputStream in = from.getInputStream();
                                    OutputStream out = to.getOutputStream()) {
                                int n;
                                while ((n = in.read(buffer)) >= 0) {
                                    awaitPassage();
                                    out.write(buffer, 0, n);
                                    out.flush();
                                }
                            } catch (IOException | InterruptedException e) {
                                // one side is gone: so is the other
                            } finally {
                                closeQuietly(from);
                                closeQuietly(to);
                            }
                        },
                        "tcp-proxy-" + from.getPort() + "-" + to.getPort());
        thread.setDaemon(true);
        thread.start();
    }

    private void awaitPassage() throws InterruptedException {
        synchronized (gate) {
            while (blackHoled && !closed) {
                gate.wait();
            }
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException ignored) {
            // already gone
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        heal();
        server.close();
        cut();
    }
}
