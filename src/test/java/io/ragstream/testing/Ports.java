package io.ragstream.testing;

import java.io.IOException;
import java.net.ServerSocket;

/** Ports for servers a test starts. */
public final class Ports {
    private Ports() {
    }

    /** A port nothing listens on now (on any address), for a server the test is about to start. */
    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
