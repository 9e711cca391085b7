/* options-man: the man pages thindesk-agent(1) and thindesk-agent.conf(5),
 * written from the option table so that they cannot drift from --help. */
#include "agent/options.h"

#include <glib.h>
#include <string.h>

/* Writes @text escaped for roff: backslashes and dashes, and a leading
 * control character. */
static void roff(FILE *out, const char *text)
{
    if (*text == '.' || *text == '\'')
        fputs("\\&", out);
    for (const char *p = text; *p; p++) {
        if (*p == '\\')
            fputs("\\e", out);
        else if (*p == '-')
            fputs("\\-", out);
        else
            fputc(*p, out);
    }
}

static void option_entry(FILE *out, const struct option_info *info, bool as_key)
{
    fputs(".TP\n", out);
    if (as_key) {
        fputs("\\fB", out);
        roff(out, info->name);
        fputs("=\\fR\\fI", out);
        roff(out, info->arg ? info->arg : "true|false");
        fputs("\\fR\n", out);
    } else {
        fputs("\\fB\\-\\-", out);
        roff(out, info->name);
        fputs("\\fR", out);
        if (info->arg) {
            fputs(info->optional_arg ? "[=\\fI" : "=\\fI", out);
            roff(out, info->arg);
            fputs(info->optional_arg ? "\\fR]" : "\\fR", out);
        }
        fputc('\n', out);
    }
    roff(out, info->help);
    if (info->def) {
        fputs(" (default: ", out);
        roff(out, info->def);
        fputc(')', out);
    }
    fputc('\n', out);
}

static void header(FILE *out, const char *name, int section, const char *title)
{
    fprintf(out, ".\\\" Generated from agent/options.c by thindesk-agent --man; do not edit.\n");
    fprintf(out, ".TH \"%s\" \"%d\" \"\" \"thindesk %s\" \"%s\"\n", name, section,
            THINDESK_VERSION, title);
}

static void man_agent(FILE *out)
{
    header(out, "THINDESK-AGENT", 1, "User Commands");
    fputs(".SH NAME\n"
          "thindesk\\-agent \\- serve this desktop to SPICE clients\n"
          ".SH SYNOPSIS\n"
          ".B thindesk\\-agent\n"
          "[\\fIOPTION\\fR]...\n"
          ".br\n"
          ".B thindesk\\-agent ctl\n"
          "[\\fB\\-\\-control\\-socket\\fR=\\fIFILE\\fR] \\fICOMMAND\\fR [\\fIARGUMENT\\fR]...\n"
          ".br\n"
          ".B thindesk\\-agent dm\\-hook\n"
          "\\fIEVENT\\fR [\\fB\\-\\-socket\\fR=\\fIPATH\\fR]\n"
          ".SH DESCRIPTION\n"
          "\\fBthindesk\\-agent\\fR runs inside a guest's desktop session. It captures the X\n"
          "desktop, serves it over the SPICE protocol and injects keyboard and pointer\n"
          "input coming back from clients. Any SPICE client works: \\fBremote\\-viewer\\fR(1),\n"
          "\\fBspicy\\fR(1), \\fBthindesk\\fR(1).\n"
          ".PP\n"
          "Every option can also be set in a configuration file, see\n"
          "\\fBthindesk\\-agent.conf\\fR(5); the command line wins.\n"
          ".SH OPTIONS\n",
          out);
    struct option_info info;
    for (size_t i = 0; options_describe(i, &info); i++)
        option_entry(out, &info, false);
    fputs(".TP\n\\fB\\-\\-help\\fR\nshow the help and exit\n"
          ".TP\n\\fB\\-\\-version\\fR\nshow the version and exit\n"
          ".SH CONTROL COMMANDS\n"
          "\\fBthindesk\\-agent ctl\\fR talks to a running agent through its control socket\n"
          "(JSON lines, one request and one reply a line):\n"
          ".TP\n\\fBstatus\\fR\n"
          "connected clients, screen size, paths in use, and what other modules report\n"
          ".TP\n\\fBdisconnect\\fR\n"
          "disconnect the connected client\n"
          ".TP\n\\fBset\\-password\\fR \\fIPASSWORD\\fR [\\fISECONDS\\fR]\n"
          "set the connection password, valid for SECONDS (0 or none: no expiry)\n"
          ".TP\n\\fBevents\\fR\n"
          "print events (client connected and disconnected, resize; with \\fB\\-\\-system\\fR\n"
          "also \\fBsession\\fR: the seat's state, user and display) as they happen\n"
          ".SH SYSTEM SERVICE\n"
          "With \\fB\\-\\-system\\fR the agent runs as root from boot\n"
          "(thindesk\\-agent\\-system.service) and serves whatever seat0 shows: the login\n"
          "screen, then the user's session, on one client connection. It follows logind,\n"
          "or without logind the display manager's hooks:\n"
          "\\fBthindesk\\-agent dm\\-hook\\fR \\fIEVENT\\fR (display\\-setup, greeter\\-setup,\n"
          "session\\-setup, session\\-cleanup) is LightDM's display\\-setup\\-script,\n"
          "session\\-setup\\-script and session\\-cleanup\\-script; it reports DISPLAY,\n"
          "XAUTHORITY and USER to \\fB\\-\\-dm\\-hook\\-socket\\fR and always exits 0 within a\n"
          "second. On the login and lock screens only display and input are served.\n"
          ".SH ENVIRONMENT\n"
          ".TP\n\\fBTHINDESK_DEBUG\\fR\n"
          "comma\\-separated debug topics (\\fBagent\\fR, \\fBdisplay\\fR, \\fBinput\\fR,\n"
          "\\fBspice\\fR, or \\fBall\\fR) whose debug messages are shown\n"
          ".TP\n\\fBJOURNAL_STREAM\\fR\n"
          "set by systemd: messages then go to the journal with the fields\n"
          "CLIENT_ADDRESS, SESSION_ID and EVENT\n"
          ".TP\n\\fBXDG_RUNTIME_DIR\\fR\n"
          "holds \\fIthindesk/control\\fR and \\fIthindesk/connect.vv\\fR\n"
          ".SH FILES\n"
          ".TP\n\\fI/etc/thindesk/agent.conf\\fR, \\fI/etc/thindesk/agent.conf.d/*.conf\\fR,\n"
          "\\fI$XDG_CONFIG_HOME/thindesk/agent.conf\\fR\n"
          "configuration, see \\fBthindesk\\-agent.conf\\fR(5)\n"
          ".SH EXIT STATUS\n"
          "0 on a normal stop, 1 on a runtime or configuration error, 2 on a bad\n"
          "command line.\n"
          ".SH SEE ALSO\n"
          "\\fBthindesk\\-agent.conf\\fR(5), \\fBremote\\-viewer\\fR(1),\n"
          "\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1)\n",
          out);
}

static void man_conf(FILE *out)
{
    header(out, "THINDESK-AGENT.CONF", 5, "File Formats");
    fputs(".SH NAME\n"
          "thindesk\\-agent.conf \\- configuration of thindesk\\-agent\n"
          ".SH SYNOPSIS\n"
          "\\fI/etc/thindesk/agent.conf\\fR\n.br\n"
          "\\fI/etc/thindesk/agent.conf.d/*.conf\\fR\n.br\n"
          "\\fI$XDG_CONFIG_HOME/thindesk/agent.conf\\fR\n"
          ".SH DESCRIPTION\n"
          "\\fBthindesk\\-agent\\fR(1) reads these files in the order above; drop\\-ins in\n"
          "\\fIagent.conf.d\\fR are read in byte order of their names and only if they end\n"
          "in \\fI.conf\\fR. A later file wins over an earlier one, \\fB\\-\\-config\\fR=\\fIFILE\\fR\n"
          "wins over all of them, and the command line wins over every file.\n"
          "A missing file is skipped; a file with an error stops the agent with a\n"
          "message naming the file and line.\n"
          "\\fBthindesk\\-agent \\-\\-check\\-config\\fR prints every effective value and where\n"
          "it came from.\n"
          ".PP\n"
          "The files are key files: one group \\fB[agent]\\fR, lines \\fIkey\\fR=\\fIvalue\\fR,\n"
          "comments starting with #. Flags take true or false.\n"
          ".SH KEYS\n",
          out);
    struct option_info info;
    for (size_t i = 0; options_describe(i, &info); i++)
        if (!info.cli_only)
            option_entry(out, &info, true);
    fputs(".SH EXAMPLE\n"
          ".nf\n"
          "[agent]\n"
          "listen=0.0.0.0:5900\n"
          "password\\-file=/etc/thindesk/password\n"
          "metrics=127.0.0.1:9464\n"
          ".fi\n"
          ".SH SEE ALSO\n"
          "\\fBthindesk\\-agent\\fR(1)\n",
          out);
}

bool options_print_man(const char *page, FILE *out)
{
    if (strcmp(page, "agent") == 0)
        man_agent(out);
    else if (strcmp(page, "conf") == 0)
        man_conf(out);
    else
        return false;
    return true;
}
