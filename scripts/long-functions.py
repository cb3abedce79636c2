#!/usr/bin/env python3
"""Lists the functions of a source tree longer than a limit (default 80 lines), longest first.

usage: python3 scripts/long-functions.py [src] [limit]
"""
import re,sys,os
limit=int(sys.argv[2]) if len(sys.argv)>2 else 80
for root,_,files in os.walk(sys.argv[1] if len(sys.argv)>1 else 'src'):
    for f in files:
        if not f.endswith('.rs'): continue
        p=os.path.join(root,f); lines=open(p).read().split('\n')
        i=0
        while i<len(lines):
            l=lines[i]
            m=re.match(r'\s*(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)',l)
            if m and not l.strip().startswith('//'):
                # find opening brace
                depth=0; started=False; j=i
                while j<len(lines):
                    s=re.sub(r'"(\\.|[^"\\])*"','""',lines[j]); s=re.sub(r"//.*","",s)
                    s=re.sub(r"'(\\.|[^'\\])'","''",s)
                    if not started and ';' in s and '{' not in s: break
                    for c in s:
                        if c=='{': depth+=1; started=True
                        elif c=='}': depth-=1
                    if started and depth==0: break
                    j+=1
                n=j-i+1
                if started and n>limit: print(f"{n:4d} {p}:{i+1} {m.group(6)}")
            i+=1
