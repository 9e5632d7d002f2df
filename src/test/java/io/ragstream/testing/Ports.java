package io.ragstream.testing;

import java.io.IOException;
import java.net.ServerSocket;

/** Ports for servers a test starts. */
public final class Ports {
    private Ports() {}

    /** A port nothing listens on now (on any address), for a server the test is about to start. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A loopback port nothing listens on, for a client that must find the door closed. */
    public static int closedPort() throws IOException {
        try (ServerSocket socket =
                new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
