/**
 * Corpus files read and published to Kafka as document events: what {@code produce}, {@code demo}
 * and the benches feed the job with. A tool, not part of the job jar; the job's own backfill reads
 * files with {@link io.ragstream.ingest.JsonLinesFormat}.
 */
package io.ragstream.corpus;
