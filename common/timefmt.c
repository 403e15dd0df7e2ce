#include "timefmt.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util.h"

void
timefmt_format(char out[TIMEFMT_LEN], uint64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL) {
		snprintf(out, TIMEFMT_LEN, "?");
		return;
	}
	size_t n = strftime(out, TIMEFMT_LEN - 6, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, TIMEFMT_LEN - n, ".%03uZ", (unsigned)(ms % 1000));
}

/* Reads exactly n digits. */
static int
s_digits(const char **p, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++, (*p)++) {
		if (**p < '0' || **p > '9')
			return -1;
		*v = *v * 10 + (**p - '0');
	}
	return 0;
}

static int
s_rfc3339(const char *s, uint64_t *ms)
{
	struct tm tm = { 0 };
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0, oh, om;
	const char *p = s;
	time_t t;

	if (s_digits(&p, 4, &y) || *p++ != '-' || s_digits(&p, 2, &mo) || *p++ != '-' ||
	    s_digits(&p, 2, &d))
		return -1;
	if (*p != '\0') {
		if ((*p != 'T' && *p != 't' && *p != ' ') || (p++, s_digits(&p, 2, &h)) ||
		    *p++ != ':' || s_digits(&p, 2, &mi) || *p++ != ':' || s_digits(&p, 2, &sec))
			return -1;
		if (*p == '.') {
			int scale = 100;
			for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
				frac += (*p - '0') * scale;
		}
		if (*p == 'Z' || *p == 'z')
			p++;
		else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			if (s_digits(&p, 2, &oh) || *p++ != ':' || s_digits(&p, 2, &om) ||
			    oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 3600 + om * 60);
		} else
			return -1;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
		return -1;
	tm.tm_year = y - 1900, tm.tm_mon = mo - 1, tm.tm_mday = d;
	tm.tm_hour = h, tm.tm_min = mi, tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 || t - off < 0 || tm.tm_mday != d)
		return -1;
	*ms = (uint64_t)(t - off) * 1000 + (uint64_t)frac;
	return 0;
}

int
timefmt_parse(const char *s, uint64_t now, uint64_t *ms)
{
	uint64_t ago;

	if (strlen(s) >= 10 && s[4] == '-')
		return s_rfc3339(s, ms);
	if (parse_duration(s, &ago) == -1 || ago > now)
		return -1;
	*ms = now - ago;
	return 0;
}
