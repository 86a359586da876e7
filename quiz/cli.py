"""The ``quiz`` command (CONTRACT §1). Every command creates or migrates the database first."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from quiz.settings import Settings, SettingsError


def _database(settings: Settings) -> Any:
    from quiz.db import Database

    db = Database(settings.database_url)
    db.migrate()
    return db


def raise_open_files_limit() -> int:
    """Lift the soft limit on open files to the hard one: each WebSocket holds a descriptor
    (10,000 players need more than the usual 1,024; raise the hard limit with ``ulimit -n``)."""
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = hard if hard != resource.RLIM_INFINITY else 1_048_576
        if soft != resource.RLIM_INFINITY and soft < wanted:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
        return int(resource.getrlimit(resource.RLIMIT_NOFILE)[0])
    except (ImportError, ValueError, OSError):
        return 0


def worker_app() -> Any:
    """The app of one worker process of ``quiz serve --workers N`` (uvicorn imports it by name in each)."""
    from quiz import logsetup
    from quiz.app import create_app

    settings = Settings.from_env()
    logsetup.configure(settings.log_level)
    return create_app(settings)


def serve_options(settings: Settings, host: str, port: int) -> dict[str, Any]:
    """uvicorn's options for ``quiz serve``."""
    from live.ws import MAX_FRAME_BYTES

    return {
        "host": host, "port": port, "log_level": "warning", "ws_per_message_deflate": settings.ws_per_message_deflate,
        "backlog": 4096, "timeout_keep_alive": 30,
        "timeout_graceful_shutdown": settings.shutdown_grace_s or None,
        "ws_ping_interval": settings.ws_ping_interval_s or None, "ws_ping_timeout": settings.ws_ping_interval_s or None,
        "ws": os.environ.get("QUIZ_WS_IMPL") or "live.wsproto:QuizWebSocketProtocol",
        # A frame longer than any message we take is refused (close 1009) from its header, before its payload.
        "ws_max_size": MAX_FRAME_BYTES,
    }


def _serve(settings: Settings, host: str, port: int, workers: int = 1) -> None:
    import uvicorn

    from quiz import logsetup

    raise_open_files_limit()

    # WebSockets: websockets' sans-I/O protocol (less memory and CPU a connection than the legacy
    # "websockets" one), extended with a fast lane for frames shared by many connections
    # (live.wsproto; see docs/benchmarks.md "Live game"); QUIZ_WS_IMPL overrides it for measuring.
    # SIGTERM (or Ctrl-C): uvicorn stops listening, closes idle keep-alive connections, lets the requests
    # in hand finish for up to shutdown_grace_s, then runs the app's shutdown (the live games flush
    # their logs and tell their sockets to reconnect elsewhere).
    options = serve_options(settings, host, port)
    if workers > 1:
        uvicorn.run("quiz.cli:worker_app", factory=True, workers=workers, **options)
    else:
        from quiz.app import create_app

        logsetup.configure(settings.log_level)
        uvicorn.run(create_app(settings), **options)


def cmd_serve(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if args.workers > 1 and not settings.redis_url:
        # Each process would run its own copy of every live game (docs/deploy.md).
        print("错误：多个工作进程需要 Redis（设置 QUIZ_REDIS_URL），否则每个进程各自运行一份比赛。", file=sys.stderr)
        return 2
    _database(settings).dispose()
    print(f"网站已启动：http://{args.host}:{args.port}/  （数据库：{settings.database_url}）", flush=True)
    _serve(settings, args.host, args.port, args.workers)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from quiz.demo import seed

    path = Path(args.db).resolve()
    for suffix in ("", "-wal", "-shm"):
        Path(str(path) + suffix).unlink(missing_ok=True)
    os.environ["QUIZ_DATABASE_URL"] = f"sqlite:///{path}"
    settings = Settings.from_env()
    db = _database(settings)
    base = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '::') else args.host}:{args.port}"
    info = seed(db, base)
    db.dispose()
    print(info, flush=True)
    if args.no_serve:
        return 0
    _serve(settings, args.host, args.port)
    return 0


def cmd_user_add(args: argparse.Namespace) -> int:
    """Add a user, or update one: an update changes only what is given (no --role keeps the role, no --unit
    the unit, no --password the password), and a new password or role ends the user's sessions everywhere."""
    from quiz.accounts import find_user, upsert_user
    from quiz.models import ROLES
    from quiz.sessions import register, unregister
    from quiz.timeutil import Clock

    if args.role is not None and args.role not in ROLES:
        print(f"未知角色：{args.role}（可选：{', '.join(ROLES)}）", file=sys.stderr)
        return 2
    settings = Settings.from_env()
    db = _database(settings)
    register(db, settings.redis_url)  # running servers forget the user's sessions (through Redis) at once
    try:
        with db.write() as session:
            if args.password is None and find_user(session, args.username) is None:
                print("新用户需要 --password", file=sys.stderr)
                return 2
            user, created = upsert_user(session, username=args.username, password=args.password, name=args.name,
                                        role=args.role, unit=args.unit, now_ms=Clock().now_ms(), overwrite=True)
            print(f"{'已创建' if created else '已更新'}用户 {user.username}（{user.role}）id={user.id}")
    finally:
        unregister(db)
    return 0


def _progress(done: int, total: int) -> None:
    width = 30
    filled = int(width * done / total) if total else width
    print(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}", end="", file=sys.stderr, flush=True)


def cmd_import(args: argparse.Namespace) -> int:
    from sqlmodel import select

    from question_bank.formats import UnsupportedFormat, parse
    from question_bank.models import Bank
    from question_bank.service import check_limits, store_parsed
    from quiz.timeutil import Clock

    db = _database(Settings.from_env())
    path = Path(args.file)
    if not path.is_file():
        print(f"文件不存在：{path}", file=sys.stderr)
        return 2
    print(f"读取 {path.name} …", file=sys.stderr)
    try:
        result = check_limits(parse(path.read_bytes(), path.name, args.format,
                                    skip_unsupported=args.skip_unsupported))
    except UnsupportedFormat as exc:
        print(str(exc), file=sys.stderr)
        return 2
    for warning in result.warnings:
        print(f"提示：{warning}", file=sys.stderr)
    if result.errors:
        for e in result.errors:
            print(f"第 {e.row} 行 [{e.field}]：{e.message}")
        print(f"共 {len(result.errors)} 处错误，未导入任何题目。")
        return 1
    now = Clock().now_ms()
    with db.write() as session:
        bank = session.exec(select(Bank).where(Bank.name == args.bank)).first()
        if bank is None:
            bank = Bank(name=args.bank, created_ms=now)
            session.add(bank)
            session.flush()
        imported, duplicates = store_parsed(session, bank.id or 0, result, dry_run=args.dry_run, now_ms=now,
                                            progress=_progress)
        if args.dry_run:
            session.rollback()  # not even the new bank
        elif imported:
            print(file=sys.stderr)
    verb = "可导入" if args.dry_run else "已导入"
    print(f"{verb} {imported} 题，重复跳过 {duplicates} 题（题库：{args.bank}）")
    return 0


def cmd_export_rankings(args: argparse.Namespace) -> int:
    try:
        from quiz.competitions.export import export_rankings_file
    except ModuleNotFoundError:
        print("竞赛排名导出尚未启用", file=sys.stderr)
        return 2
    db = _database(Settings.from_env())
    return int(export_rankings_file(db, args.competition_id, args.round, args.output, Settings.from_env()))


def cmd_backup(args: argparse.Namespace) -> int:
    from quiz.backup import BackupError, backup

    db = _database(Settings.from_env())
    try:
        summary = backup(db, Path(args.file))
    except BackupError as exc:
        print(f"备份失败：{exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"已备份到 {summary.path}（{summary.bytes:,} 字节，{summary.total_rows:,} 行）")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from quiz.backup import BackupError, restore

    db = _database(Settings.from_env())
    try:
        summary = restore(db, Path(args.file), force=args.force)
    except BackupError as exc:
        print(f"恢复失败：{exc}", file=sys.stderr)
        return 1
    finally:
        db.dispose()
    print(f"已从 {summary.path} 恢复 {summary.total_rows:,} 行（{len(summary.rows)} 张表）")
    return 0


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout with a Chinese "用法：" instead of "usage: "."""

    def add_usage(self, usage: str | None, actions: Any, groups: Any, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


def _in_chinese(parser: argparse.ArgumentParser) -> None:
    """Give ``parser`` and every subcommand's parser Chinese section titles and a Chinese ``-h`` line."""
    parser.formatter_class = ChineseHelpFormatter
    parser._positionals.title = "参数"
    parser._optionals.title = "选项"
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            action.help = "显示本帮助并退出"
        elif isinstance(action, argparse._SubParsersAction):
            for child in set(action.choices.values()):
                _in_chinese(child)


def build_parser() -> argparse.ArgumentParser:
    from quiz.i18n import SETTINGS_HELP
    from quiz.settings import HELP

    texts = SETTINGS_HELP["zh"]
    settings_help = "\n".join(f"  QUIZ_{name.upper():<24} {texts.get(name, text)}" for name, text in HELP.items())
    parser = argparse.ArgumentParser(prog="quiz", description="知识竞赛与答题平台",
                                     epilog="设置（环境变量或 .env 文件）：\n" + settings_help,
                                     formatter_class=ChineseHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")

    serve = sub.add_parser("serve", help="运行网站")
    serve.add_argument("--host", default="127.0.0.1", help="监听的地址（默认 127.0.0.1，只接受本机访问）")
    serve.add_argument("--port", type=int, default=8000, help="监听的端口（默认 8000）")
    serve.add_argument("--workers", type=int, default=1, help="工作进程数（默认 1；多于 1 个须设 QUIZ_REDIS_URL）")
    serve.set_defaults(func=cmd_serve)

    demo = sub.add_parser("demo", help="用全新的演示数据库运行网站")
    demo.add_argument("--host", default="127.0.0.1", help="监听的地址（默认 127.0.0.1）")
    demo.add_argument("--port", type=int, default=8000, help="监听的端口（默认 8000）")
    demo.add_argument("--db", default="quiz-demo.db", help="演示数据库文件（每次重建）")
    demo.add_argument("--no-serve", action="store_true", help="只生成演示数据，不启动网站")
    demo.set_defaults(func=cmd_demo)

    user = sub.add_parser("user", help="用户管理")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="命令")
    add = user_sub.add_parser("add", help="添加或更新用户")
    add.add_argument("username", help="账号")
    add.add_argument("--password", help="新用户必填；更新时不填则不改")
    add.add_argument("--role", help="新用户默认 member；更新时不填则不改")
    add.add_argument("--name", help="姓名")
    add.add_argument("--unit", help="更新时不填则不改")
    add.set_defaults(func=cmd_user_add)

    imp = sub.add_parser("import", help="导入题目文件")
    imp.add_argument("file", help="题目文件（xlsx、csv、json、GIFT、Aiken 或文本）")
    imp.add_argument("--bank", required=True, help="题库名称（不存在则创建）")
    imp.add_argument("--dry-run", action="store_true", help="只检查，不写入")
    imp.add_argument("--format", choices=["xlsx", "csv", "json", "gift", "aiken", "text"],
                     help="文件格式（默认按扩展名判断）")
    imp.add_argument("--skip-unsupported", action="store_true", help="跳过不支持的 GIFT 题型")
    imp.set_defaults(func=cmd_import)

    exp = sub.add_parser("export", help="导出")
    exp_sub = exp.add_subparsers(dest="export_command", required=True, metavar="命令")
    rankings = exp_sub.add_parser("rankings", help="导出竞赛排名")
    rankings.add_argument("competition_id", type=int, help="竞赛编号")
    rankings.add_argument("--round", type=int, help="只导出这一轮（轮次编号）")
    rankings.add_argument("-o", "--output", default=None, help="输出文件（.xlsx、.csv 或 .json；默认按竞赛名称命名的 xlsx）")
    rankings.set_defaults(func=cmd_export_rankings)

    back = sub.add_parser("backup", help="备份整个数据库（网站运行时也可以）")
    back.add_argument("file", help="备份文件（SQLite：数据库文件；PostgreSQL：pg_dump 自定义格式）")
    back.set_defaults(func=cmd_backup)

    rest = sub.add_parser("restore", help="从备份恢复整个数据库（请先停止网站）")
    rest.add_argument("file", help="备份文件")
    rest.add_argument("--force", action="store_true", help="目标数据库不是空的也覆盖")
    rest.set_defaults(func=cmd_restore)
    _in_chinese(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as error:
        print(f"错误：设置有误：{error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
