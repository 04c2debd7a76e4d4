/** An OpenAI-compatible HTTP server over {@link io.bitnet4j.generation.BatchGenerator}. */
package io.bitnet4j.server;
