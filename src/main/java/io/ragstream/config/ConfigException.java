package io.ragstream.config;

/** A configuration error; the message names the key and what is wrong with it. */
public class ConfigException extends RuntimeException {
    public ConfigException(String key, String problem) {
        super("config key '" + key + "': " + problem);
    }
}
