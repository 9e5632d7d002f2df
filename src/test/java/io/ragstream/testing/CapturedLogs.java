package io.ragstream.testing;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.config.Property;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/** What is logged while an action runs, whatever the test's log configuration. */
public final class CapturedLogs {
    private CapturedLogs() {}

    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    /**
     * Everything logged at INFO and above, by any logger, while an action runs; what was printed
     * before still goes where it went, at its old level.
     */
    public static List<LogEvent> everything(Action action) throws Exception {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        LoggerConfig root = context.getConfiguration().getRootLogger();
        Level level = root.getLevel();
        Map<String, Appender> others = Map.copyOf(root.getAppenders());
        List<LogEvent> events = new CopyOnWriteArrayList<>();
        AbstractAppender appender = collecting("captured-everything", events);
        appender.start();
        others.keySet().forEach(root::removeAppender);
        others.values().forEach(other -> root.addAppender(other, level, null));
        root.addAppender(appender, Level.INFO, null);
        root.setLevel(Level.INFO);
        context.updateLoggers();
        try {
            action.run();
        } finally {
            root.removeAppender(appender.getName());
            others.keySet().forEach(root::removeAppender);
            others.values().forEach(other -> root.addAppender(other, null, null));
            root.setLevel(level);
            context.updateLoggers();
            appender.stop();
        }
        return events;
    }

    public static List<LogEvent> warnings(Class<?> source, Action action) throws Exception {
        Logger logger = (Logger) LogManager.getLogger(source);
        List<LogEvent> events = new ArrayList<>();
        AbstractAppender appender = collecting("captured-" + source.getSimpleName(), events);
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

    private static AbstractAppender collecting(String name, List<LogEvent> events) {
        return new AbstractAppender(name, null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                events.add(event.toImmutable());
            }
        };
    }
}
