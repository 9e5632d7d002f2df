package io.ragstream.search;

import io.ragstream.search.SearchException.Fault;

import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

import static org.assertj.core.api.Assertions.assertThat;

class SearchExceptionTest {
    @Test
    void postgresErrorClassesTellWhoseFaultAFailedStatementIs() {
        assertThat(fault("22021"))
                .as("invalid byte sequence: the request's")
                .isEqualTo(Fault.REQUEST);
        assertThat(fault("57014")).as("statement timeout").isEqualTo(Fault.UNAVAILABLE);
        assertThat(fault("08006")).as("connection failure").isEqualTo(Fault.UNAVAILABLE);
        assertThat(fault("53300")).as("too many connections").isEqualTo(Fault.UNAVAILABLE);
        assertThat(fault("57P01")).as("admin shutdown").isEqualTo(Fault.UNAVAILABLE);
        assertThat(fault("42P01")).as("undefined table").isEqualTo(Fault.SETUP);
        assertThat(fault(null)).isEqualTo(Fault.SETUP);
        assertThat(
                        SearchException.of(
                                        "search",
                                        new SQLTransientConnectionException(
                                                "ragstream-search - Connection is not available"))
                                .fault())
                .as("a pool with no free connection")
                .isEqualTo(Fault.UNAVAILABLE);
    }

    @Test
    void eachFaultHasItsHttpStatus() {
        assertThat(SearchService.status(Fault.REQUEST)).isEqualTo(400);
        assertThat(SearchService.status(Fault.UNAVAILABLE)).isEqualTo(503);
        assertThat(SearchService.status(Fault.SETUP)).isEqualTo(500);
    }

    private static Fault fault(String sqlState) {
        return SearchException.of("search", new SQLException("boom", sqlState)).fault();
    }
}
