# Lianshi 链事荟 — 简体中文界面文字
app-name = 链事荟
app-tagline = 产业链党建与企业服务平台
nav-home = 工作台
nav-enterprises = 企业名录
nav-import = 批量导入
nav-registry = 园区登记
nav-users = 账号管理
nav-audit = 操作日志
nav-logout = 退出登录
lang-switch = English
login-title = 登录
login-username = 用户名
login-password = 密码
login-submit = 登录
login-failed = 用户名或密码错误
error-title = 出错了
error-back = 返回
