/**
 * The thin half of a driver class: every operation opens the driver's session on the root and
 * calls the operation's function (one file per operation, see session.ts). A driver extends
 * {@link SessionDriver} with its session factory and its table of operations, and adds what is
 * not per root (identity, host tools, kind support, describe, fetch).
 */
import type { DriverName, TargetKindName } from "../spec/types.js";
import type {
  BootLoaderFiles,
  Driver,
  DriverResult,
  HostTool,
  InstalledKernel,
  InventoryOptions,
  InventoryPackage,
  KernelRequest,
  LiveInitramfsRequest,
  PackageRecord,
  StageContext,
} from "./driver.js";
import type { RootSession } from "./session.js";

type Sync<T> = T | Promise<T>;

/** A driver's operations, each a function of its session. */
export interface SessionOperations<S extends RootSession> {
  bootstrap(s: S, packages: readonly string[]): Sync<DriverResult>;
  install(s: S, packages: readonly string[]): Sync<DriverResult>;
  remove(s: S, packages: readonly string[]): Sync<DriverResult>;
  depclean(s: S): Sync<DriverResult>;
  /** The session is on the build root. */
  mergeRoot(s: S, target: string, packages: readonly string[]): Sync<DriverResult>;
  installKernel(s: S, kernel: KernelRequest): Sync<DriverResult<InstalledKernel>>;
  liveInitramfs(s: S, req: LiveInitramfsRequest): Sync<DriverResult>;
  listPackages(s: S): Sync<DriverResult<readonly PackageRecord[]>>;
  inventory(s: S, options: InventoryOptions): Sync<DriverResult<readonly InventoryPackage[]>>;
  cleanRoot(s: S): Sync<DriverResult>;
}

/** The per-root half of {@link Driver}, delegating to {@link SessionOperations}. */
export abstract class SessionDriver<S extends RootSession> implements Driver {
  abstract readonly name: DriverName;
  abstract readonly bootLoader: BootLoaderFiles;
  abstract identity(): Promise<string>;
  abstract hostTools(kind: TargetKindName): readonly HostTool[];

  /** The driver's operations. */
  protected abstract readonly operations: SessionOperations<S>;

  /** Opens the driver's session for one stage on one root. */
  protected abstract session(ctx: StageContext, root: string): S;

  /** See {@link Driver.bootstrap}. */
  bootstrap(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return Promise.resolve(this.operations.bootstrap(this.session(ctx, root), packages));
  }

  /** See {@link Driver.install}. */
  install(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return Promise.resolve(this.operations.install(this.session(ctx, root), packages));
  }

  /** See {@link Driver.remove}. */
  remove(ctx: StageContext, root: string, packages: readonly string[]): Promise<DriverResult> {
    return Promise.resolve(this.operations.remove(this.session(ctx, root), packages));
  }

  /** See {@link Driver.depclean}. */
  depclean(ctx: StageContext, root: string): Promise<DriverResult> {
    return Promise.resolve(this.operations.depclean(this.session(ctx, root)));
  }

  /** See {@link Driver.mergeRoot}. */
  mergeRoot(
    ctx: StageContext,
    buildRoot: string,
    target: string,
    packages: readonly string[],
  ): Promise<DriverResult> {
    return Promise.resolve(
      this.operations.mergeRoot(this.session(ctx, buildRoot), target, packages),
    );
  }

  /** See {@link Driver.installKernel}. */
  installKernel(
    ctx: StageContext,
    root: string,
    kernel: KernelRequest,
  ): Promise<DriverResult<InstalledKernel>> {
    return Promise.resolve(this.operations.installKernel(this.session(ctx, root), kernel));
  }

  /** See {@link Driver.liveInitramfs}. */
  liveInitramfs(ctx: StageContext, root: string, req: LiveInitramfsRequest): Promise<DriverResult> {
    return Promise.resolve(this.operations.liveInitramfs(this.session(ctx, root), req));
  }

  /** See {@link Driver.inventory}. */
  inventory(
    ctx: StageContext,
    root: string,
    options: InventoryOptions = {},
  ): Promise<DriverResult<readonly InventoryPackage[]>> {
    return Promise.resolve(this.operations.inventory(this.session(ctx, root), options));
  }

  /** See {@link Driver.listPackages}. */
  listPackages(ctx: StageContext, root: string): Promise<DriverResult<readonly PackageRecord[]>> {
    return Promise.resolve(this.operations.listPackages(this.session(ctx, root)));
  }

  /** See {@link Driver.cleanRoot}. */
  cleanRoot(ctx: StageContext, root: string): Promise<DriverResult> {
    return Promise.resolve(this.operations.cleanRoot(this.session(ctx, root)));
  }
}
