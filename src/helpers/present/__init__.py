"""Presentation: the report's language, number formats, tables, figures and notebook display.

Never computes a statistic: it words and formats what ``helpers.analysis`` computed.

Modules
-------
text       the message catalogue (text.yml) and number formats per language
wording    findings into sentences
tables     numeric section tables into reader tables (xlsx) and display tables (HTML)
headlines  headline indicators: labels, values with CI and n, or their status
region     title, subtitle, section texts, recommendations, settings table of a region report
summary    the cross-region summary's tables and sentences
figures    matplotlib/seaborn figures and the frames they draw
notebook   HTML display helpers the notebooks call
"""
