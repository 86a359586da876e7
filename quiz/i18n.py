"""Every text a person reads, per language, in one place. Chinese is the default.

``t("not_found")`` gives the Chinese text; ``t("not_found", "en")`` the English one.
Keys are the error codes of the contract where there is one.
"""

from __future__ import annotations

MESSAGES: dict[str, dict[str, str]] = {
    "zh": {
        # generic errors
        "bad_request": "请求格式不正确",
        "invalid_json": "请求内容不是有效的 JSON",
        "not_logged_in": "请先登录",
        "forbidden": "没有权限执行此操作",
        "not_found": "找不到该资源",
        "conflict": "与当前状态冲突",
        "too_large": "上传文件过大（上限 {limit} MB）",
        "cross_site": "拒绝来自其他网站的请求：请在本站页面中操作",
        "unsupported_media_type": "请求内容类型不受支持：请以 application/json 发送",
        "text_control_chars": "不能包含控制字符或无效字符",
        "text_too_long": "过长（最多 {limit} 字）",
        "invalid": "内容不符合要求",
        "validation_error": "字段“{field}”不正确：{reason}",
        "internal_error": "服务器内部错误，请稍后重试",
        "too_many_requests": "尝试次数过多，请 {seconds} 秒后再试",
        "method_not_allowed": "不支持该请求方法",
        "query_int": "参数 {name} 应为 {low} 到 {high} 之间的整数",
        # accounts
        "bad_credentials": "账号或密码错误",
        "login_throttled": "登录失败次数过多，请 {seconds} 秒后再试",
        "username_taken": "账号“{username}”已存在",
        "role_too_high": "不能授予高于自己的角色",
        "admin_only_roles": "只有管理员可以创建或修改管理员、组织者账号",
        "unknown_role": "未知角色“{role}”",
        "roster_missing_column": "缺少必需的列“{column}”",
        "roster_import_invalid": "文件中有 {count} 处错误，未导入任何数据",
        "roster_bad_row": "第 {row} 行：{reason}",
        "roster_protected_account": "账号“{username}”是管理员或组织者，只有管理员可以修改",
        "roster_changed": "导入期间账号被修改，请重新导入",
        # bank
        "bank_not_found": "题库不存在",
        "question_not_found": "题目不存在",
        "unsupported_format": "不支持的文件格式：{fmt}",
        "import_invalid": "文件中有 {count} 处错误，未导入任何题目",
        "no_file": "请上传文件（字段名 file）",
        # practice
        "practice_not_found": "练习不存在",
        "practice_empty": "没有符合条件的题目可供练习",
        "practice_not_in_session": "该题不在本次练习中",
        "practice_already_answered": "该题已作答",
        "answer_invalid": "答案格式不正确：{reason}",
    },
    "en": {
        "bad_request": "Malformed request",
        "invalid_json": "The request body is not valid JSON",
        "not_logged_in": "Please log in first",
        "forbidden": "You are not allowed to do this",
        "not_found": "Not found",
        "conflict": "Conflicts with the current state",
        "too_large": "Upload too large (limit {limit} MB)",
        "cross_site": "Refused: the request came from another site",
        "unsupported_media_type": "Unsupported content type: send application/json",
        "text_control_chars": "must not contain control characters or invalid characters",
        "text_too_long": "too long (at most {limit} characters)",
        "invalid": "Invalid content",
        "validation_error": "Field '{field}' is invalid: {reason}",
        "internal_error": "Internal server error, please retry later",
        "too_many_requests": "Too many attempts, retry in {seconds} s",
        "method_not_allowed": "Method not allowed",
        "query_int": "Parameter {name} must be an integer from {low} to {high}",
        "bad_credentials": "Wrong username or password",
        "login_throttled": "Too many failed logins, retry in {seconds} s",
        "username_taken": "Username '{username}' already exists",
        "role_too_high": "You cannot grant a role above your own",
        "admin_only_roles": "Only an admin creates or changes admins and organizers",
        "unknown_role": "Unknown role '{role}'",
        "roster_missing_column": "Missing required column '{column}'",
        "roster_import_invalid": "{count} errors in the file; nothing was imported",
        "roster_bad_row": "Row {row}: {reason}",
        "roster_protected_account": "Account '{username}' is an admin or organizer; only an admin may change it",
        "roster_changed": "Accounts changed during the import; import again",
        "bank_not_found": "Bank not found",
        "question_not_found": "Question not found",
        "unsupported_format": "Unsupported file format: {fmt}",
        "import_invalid": "{count} errors in the file; nothing was imported",
        "no_file": "Upload a file (field name: file)",
        "practice_not_found": "Practice not found",
        "practice_empty": "No questions match for practice",
        "practice_not_in_session": "This question is not part of this practice",
        "practice_already_answered": "Already answered",
        "answer_invalid": "Invalid answer: {reason}",
    },
}


def register(lang: str, texts: dict[str, str]) -> None:
    """Areas (exams, live, …) add their texts here at import time, keeping them in their own module."""
    MESSAGES.setdefault(lang, {}).update(texts)


def t(key: str, lang: str = "zh", **params: object) -> str:
    """The text for ``key`` in ``lang`` (falling back to Chinese, then to the key itself)."""
    text = MESSAGES.get(lang, {}).get(key) or MESSAGES["zh"].get(key) or key
    try:
        return text.format(**params) if params else text
    except (KeyError, IndexError):
        return text

# ``quiz --help`` is a Chinese help: one line per setting (the names are those of quiz.settings.HELP,
# whose English lines stay for the docs). A setting added there without a line here falls back to English.
SETTINGS_HELP: dict[str, dict[str, str]] = {
    "zh": {
        "database_url": "数据库的 SQLAlchemy 地址；默认为当前目录下的 SQLite 文件 quiz.db",
        "redis_url": "多个工作进程之间转发消息用的 Redis 地址；不设：单进程，在内存中转发",
        "secret_key": "签名密钥；不设时每个进程随机生成（登录会话保存在服务器端）",
        "timezone": "页面和导出文件中日期时间所用的时区",
        "max_upload_mb": "上传文件的大小上限（MB；超过的在读完之前即返回 413）",
        "max_unpacked_mb": "上传的 xlsx/zip 解压后的大小上限（MB；超过的数秒内返回 413）",
        "max_media_mb": "图片、音频、视频文件的大小上限（MiB，见 CONTRACT §3；超过返回 413）",
        "max_import_rows": "一个导入文件最多的行数（超过返回 413）",
        "session_days": "登录的有效天数",
        "base_url": "加入链接和二维码所用的公开网址；不设：取自每个请求",
        "trusted_hosts": "未设 QUIZ_BASE_URL 时可用来生成链接的主机名，逗号分隔（端口不是 80/443 时带上 :端口）；"
                         "其他 Host 请求头一律用其中第一个",
        "login_max_failures": "每个账号（及每个客户端地址）登录失败多少次后放慢登录",
        "login_lock_s": "登录失败过多的账号须等待的秒数",
        "guest_joins_per_minute": "同一客户端地址每分钟最多可加入直播竞赛的游客（未登录的选手）人数；超过的收到 too_many_guests",
        "guest_joins_per_hour": "同上，每小时的上限",
        "ws_per_message_deflate": "允许 WebSocket 逐条消息压缩（每个连接多占内存）",
        "ws_ping_interval_s": "WebSocket 保活：连接静默这么多秒后发送 ping，再过同样时间未收到 pong 即断开；0：不发送",
        "lang": "页面和提示信息的默认语言（zh 或 en）",
        "gc_freeze_s": "每隔多少秒把长期存活的对象移出垃圾回收的扫描范围；0：关闭",
        "threads": "处理阻塞工作（数据库、文件）的线程数；0：SQLite 为 8，PostgreSQL 为 40",
        "shutdown_grace_s": "收到 SIGTERM 后，正在处理的请求最多还可用的秒数，之后服务器无论如何都会停止",
        "log_level": "标准错误输出上服务器日志（JSON 行）的级别：info 每个请求记一行，warning 只记问题",
    },
}
