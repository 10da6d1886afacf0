# Lianshi — English UI strings
app-name = Lianshi
app-tagline = Industrial-chain party building and enterprise service
nav-home = Console
nav-enterprises = Enterprises
nav-import = Import
nav-registry = Zone registry
nav-users = Accounts
nav-audit = Audit log
nav-logout = Sign out
lang-switch = 中文
login-title = Sign in
login-username = Username
login-password = Password
login-submit = Sign in
login-failed = Wrong username or password
error-title = Something went wrong
error-back = Back
