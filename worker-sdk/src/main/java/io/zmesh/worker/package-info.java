/**
 * The zmesh worker SDK: write named workers that answer typed requests, call them, and publish
 * and subscribe to topics.
 *
 * <ul>
 *   <li>{@link io.zmesh.worker.Worker} registers under a name and runs handlers.
 *   <li>{@link io.zmesh.worker.MeshClient} calls workers from any other process.
 *   <li>{@link io.zmesh.worker.Requester} is the calling interface both share, with {@link
 *       io.zmesh.worker.RequestContext} inside handlers.
 *   <li>{@link io.zmesh.worker.Publisher} and {@link io.zmesh.worker.Subscriber} (both implemented
 *       by workers and clients) publish typed messages to topics and subscribe to patterns, with
 *       a {@link io.zmesh.worker.MessageHandler} per {@link io.zmesh.worker.Subscription}.
 *   <li>{@link io.zmesh.Status} and {@link io.zmesh.Code} (package {@code io.zmesh}, module
 *       zmesh-core) are the one error model of the broker and the SDK; failures arrive as {@link
 *       io.zmesh.MeshException}.
 * </ul>
 *
 * <p>Everything in {@code io.zmesh.worker.internal} is not API and may change at any time.
 */
package io.zmesh.worker;
