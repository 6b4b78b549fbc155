/**
 * Job entry points ({@code *Job}): each parses its options with picocli into a validated config,
 * calls the Spark layer, and stops. Launch scripts live in {@code jobs/}.
 */
package io.sparkattention.job;
