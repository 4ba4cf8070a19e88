package io.zmesh.broker;

/**
 * A worker instance as a {@link WorkerListener} sees it: its name, the instance id and the
 * process id and host it declared in READY.
 *
 * @param name the worker name it registered under
 * @param instanceId its instance id, unique per process
 * @param pid the process id it declared
 * @param host the host name it declared
 */
public record WorkerEvent(String name, String instanceId, long pid, String host) {}
