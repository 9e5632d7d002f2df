package io.ragstream.sink;

import io.ragstream.testing.TcpProxy;
import io.ragstream.testing.TestServices;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A sink session whose connection died while it sat idle (here reset by a {@link TcpProxy}, as a
 * PostgreSQL restart or a load balancer's idle timeout leaves it) is replaced before its next use,
 * but never inside a transaction, whose writes would be lost with it.
 */
class SinkSessionIT {
    private static final TestServices SERVICES = new TestServices("sinksession");

    @Test
    void anIdleSessionThatNoLongerAnswersIsReplacedBeforeItsNextUse() throws Exception {
        try (TcpProxy proxy = proxy();
                SinkSession session = new SinkSession(through(proxy), true, Duration.ZERO)) {
            Connection first = session.get();
            selectOne(first);
            proxy.cut();

            Connection next = session.get();

            assertThat(next).isNotSameAs(first);
            selectOne(next);
            assertThat(proxy.accepted()).isEqualTo(2);
        }
    }

    @Test
    void aSessionThatStillAnswersIsKept() throws Exception {
        try (TcpProxy proxy = proxy();
                SinkSession session = new SinkSession(through(proxy), true, Duration.ZERO)) {
            Connection first = session.get();
            selectOne(first);

            assertThat(session.get()).isSameAs(first);
            assertThat(proxy.accepted()).isEqualTo(1);
        }
    }

    @Test
    void aSessionInsideATransactionIsNeverReplaced() throws Exception {
        try (TcpProxy proxy = proxy();
                SinkSession session = new SinkSession(through(proxy), false, Duration.ZERO)) {
            Connection first = session.get();
            selectOne(first); // begins the transaction
            proxy.cut();

            Connection next = session.get();

            assertThat(next).isSameAs(first);
            assertThatThrownBy(() -> selectOne(next)).isInstanceOf(SQLException.class);
        }
    }

    private static TcpProxy proxy() throws Exception {
        URI server = URI.create(TestServices.PG_URL.substring("jdbc:".length()));
        return TcpProxy.start(server.getHost(), server.getPort());
    }

    private static PgVectorSinkOptions through(TcpProxy proxy) {
        return PgVectorSinkOptions.from(
                SERVICES.config("postgres.url=" + proxy.proxied(TestServices.PG_URL)), 384);
    }

    private static void selectOne(Connection c) throws SQLException {
        try (Statement st = c.createStatement()) {
            st.execute("SELECT 1");
        }
    }
}
