/**
 * Job entry points ({@code *Job}): each parses its options with picocli into a validated config,
 * calls the Spark layer in a session ({@link io.sparkattention.job.JobLauncher#inSession}), and
 * stops. Launch scripts live in {@code jobs/}.
 *
 * <p>Options that several jobs share are declared once, as picocli mixins: {@code TableOptions}
 * (--input with {@code OutputOptions}: --output, --format, --overwrite), {@code EngineChoice}
 * (--engine) and {@code Verbosity} (--verbose). An option's default is a named constant given as
 * its field's initial value, which picocli shows as {@code ${DEFAULT-VALUE}}.
 */
package io.sparkattention.job;
