# gettext.install() put _ and ngettext into builtins in the entry point
import gettext
gettext.install('app', names=['ngettext'])


def hello(n):
    print(_('hello'))
    return ngettext('one', 'many', n)
