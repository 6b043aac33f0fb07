"""UI strings of login, logout and the audit log."""

# --- access (login, audit log, uploads) ---------------------------------------------------------
PAGE_LOGIN = "登录"
PAGE_AUDIT_LOG = "审计日志"
LOGIN_USERNAME = "用户名"
LOGIN_PASSWORD = "密码"
LOGIN_BUTTON = "登录"
LOGIN_HINT = "请使用本人账号登录。多次输错密码需等待片刻再试；8小时无操作自动退出。"
LOGIN_DEMO_HINT = (
    "示例环境：运行 make run 时终端会打印每个角色的示例账号与密码（每次运行重新生成）。"
)
LOGIN_EXPIRED = "登录已超时或已失效，请重新登录"
LOGGED_OUT = "已退出登录"
# login that survives a reload (issue 11): a bookmark of a page the role does not have
PAGE_NOT_FOR_ROLE = "您的角色没有这个页面。请从左侧菜单选择，或回到总览。"
LOGIN_MISSING = "请输入用户名和密码"
LOGOUT_BUTTON = "退出"
AUDIT_CAPTION = "个人信息的查看、导出、显示完整信息，登录与权限变更的记录。日志只能追加，任何人都不能修改或删除。"
AUDIT_FIELDS = {
    "at": "时间",
    "username": "用户",
    "action_name": "操作",
    "target": "对象",
    "client": "来源",
    "detail": "详情",
}
