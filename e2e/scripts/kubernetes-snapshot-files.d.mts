/** deploy/kubernetes/ in the checkout. */
export declare const KUBERNETES_DIR: string;
/** Where the rendered overlays are checked in. */
export declare const SNAPSHOT_DIR: string;
/** The command that renders the snapshots again (needs kubectl). */
export declare const RENDER_COMMAND: string;

/** One overlay as kubectl rendered it, with what it was rendered from and by. */
export interface KubernetesSnapshot {
  path: string;
  /** The YAML, header comments included. */
  text: string;
  /** {@link inputDigest} when the snapshot was rendered. */
  digest: string;
  /** kubectl's and kustomize's versions. */
  renderedBy: string;
}

export declare function overlayNames(): string[];
/** sha256 over every file under `dir` (deploy/kubernetes/ unless given), paths and bytes. */
export declare function inputDigest(dir?: string): string;
/** Whether `kubectl` (as `installedKubectl` names it) uses the kustomize `renderedBy` names. */
export declare function rendersLike(kubectl: string, renderedBy: string): boolean;
export declare function readSnapshot(overlay: string): KubernetesSnapshot;
