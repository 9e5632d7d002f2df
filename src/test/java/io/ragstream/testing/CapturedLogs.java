package io.ragstream.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

import java.util.ArrayList;
import java.util.List;

/** What one class logs at WARN and above while an action runs, whatever the test's log configuration. */
public final class CapturedLogs {
    private CapturedLogs() {}

    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    public static List<LogEvent> warnings(Class<?> source, Action action) throws Exception {
        Logger logger = (Logger) LogManager.getLogger(source);
        List<LogEvent> events = new ArrayList<>();
        AbstractAppender appender = new AbstractAppender("captured-" + source.getSimpleName(), null, null, true,
                Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
        appender.start();
        Level level = logger.getLevel();
        logger.addAppender(appender);
        logger.setLevel(Level.WARN);
        try {
            action.run();
        } finally {
            logger.removeAppender(appender);
            logger.setLevel(level);
            appender.stop();
        }
        return events;
    }
}
